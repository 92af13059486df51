"""What a document written field by field must equal: the odmantic model's own dump of the same values."""

from collections.abc import Iterable
from typing import Any

from odmantic import Model


def model_fields_of(written: dict[str, Any], absent_when_none: Iterable[str]) -> dict[str, Any]:
    """The model's fields of `written`: without the applied callback (a whole field beside the model), and with
    the fields a document leaves out rather than storing as null (their unique indexes are partial on `$exists`)
    present as null, as the model has them."""
    fields = {name: value for name, value in written.items() if name != "applied_callback"}
    for name in absent_when_none:
        fields.setdefault(name, None)
    return fields


def as_the_model_dumps(model: type[Model], fields: dict[str, Any]) -> dict[str, Any]:
    return model.model_validate_doc(fields).model_dump_doc()
