"""What a client is sent of each record, as msgspec Structs generated from the domain's view TypedDicts.

The domain declares each view once, as a TypedDict whose fields are `Annotated` with a `Described`
(`domain.shared.client_view`), and mypy holds `Payment.view()`, `Withdrawal.view()`, `PaymentRequest.view()` and
`C2bPayment.view()` to it. This module turns those TypedDicts into msgspec Structs, from which the AsyncAPI
document's payload schemas are generated (`entrypoints.protocol.asyncapi`): a moment becomes a zoned datetime, a
field with choices the enum, a nested view its own Struct, a `NotRequired` field one that may be absent. Nothing
here restates a field, so the view and the documented schema cannot drift apart; tests/docs/test_client_views.py
still checks the domain's views of records in every state against the generated schema, field for field.
"""

import types
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, NotRequired, Union, get_args, get_origin, get_type_hints, is_typeddict

import msgspec
from msgspec import Meta

from domain.b2c.withdrawal import WithdrawalView as _WithdrawalView
from domain.c2b.confirmation import C2bPaymentView as _C2bPaymentView
from domain.c2b.payment_request import C2bConfirmationView as _C2bConfirmationView
from domain.c2b.payment_request import C2bRequestView as _C2bRequestView
from domain.shared.client_view import Described
from domain.stk.payment import PaymentView as _PaymentView


def note(text: str) -> Any:
    """A field's description in the generated schema."""
    return Meta(description=text)


_structs: dict[type, type[msgspec.Struct]] = {}


def _struct_of(view: type) -> type[msgspec.Struct]:
    if view not in _structs:
        hints = get_type_hints(view, include_extras=True)
        required = view.__required_keys__  # type: ignore[attr-defined]  # every TypedDict has it
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        for name, hint in hints.items():
            if name in required:
                fields.append((name, _schema_type(hint)))
            else:
                fields.append((name, _schema_type(hint) | msgspec.UnsetType, msgspec.UNSET))
        struct = msgspec.defstruct(view.__name__, fields, forbid_unknown_fields=True, module=__name__)
        struct.__doc__ = view.__doc__
        _structs[view] = struct
    return _structs[view]


def _schema_type(hint: Any) -> Any:
    origin = get_origin(hint)
    if origin is NotRequired:
        return _schema_type(get_args(hint)[0])
    if origin is Annotated:
        inner, *extras = get_args(hint)
        described = next((extra for extra in extras if isinstance(extra, Described)), None)
        if described is None:
            return _schema_type(inner)
        return _described(inner, described)
    if is_typeddict(hint):
        return _struct_of(hint)
    if origin in (Union, types.UnionType):
        result: Any = None
        for member in get_args(hint):
            result = _schema_type(member) if result is None else result | _schema_type(member)
        return result
    if origin is list:
        return list[_schema_type(get_args(hint)[0])]  # type: ignore[misc]  # built at run time
    return hint


def _described(inner: Any, described: Described) -> Any:
    if described.moment:
        inner = datetime if inner is str else _schema_type(inner)
    elif described.choices is not None:
        inner = described.choices
    else:
        inner = _schema_type(inner)
    constraints: dict[str, Any] = {}
    if described.moment:
        constraints["tz"] = True
    if described.pattern is not None:
        constraints["pattern"] = described.pattern
    if described.minimum is not None:
        constraints["ge"] = described.minimum
    if described.text is not None:
        constraints["description"] = described.text
    return Annotated[inner, Meta(**constraints)] if constraints else inner


if TYPE_CHECKING:
    # mypy cannot see a class built at run time; the AsyncAPI Structs only need these to be Structs.
    class PaymentView(msgspec.Struct): ...

    class WithdrawalView(msgspec.Struct): ...

    class C2bConfirmationView(msgspec.Struct): ...

    class C2bRequestView(msgspec.Struct): ...

    class C2bPaymentView(msgspec.Struct): ...

else:
    PaymentView = _struct_of(_PaymentView)
    WithdrawalView = _struct_of(_WithdrawalView)
    C2bConfirmationView = _struct_of(_C2bConfirmationView)
    C2bRequestView = _struct_of(_C2bRequestView)
    C2bPaymentView = _struct_of(_C2bPaymentView)
