"""OpenAPI request bodies for handlers that read their body raw (to decode it by their own strict rules, or to journal
a callback before reading it): the document then describes what they accept, and schema-driven tools can test it."""

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody


def json_body(shape: type[Any], description: str) -> type[Operation]:
    """An Operation class whose request body is the JSON Schema of the msgspec `shape`, its `$defs` inlined."""
    schema = _inlined(msgspec.json.schema(shape))

    @dataclass
    class WithJsonBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                content={"application/json": OpenAPIMediaType(schema=schema)},  # type: ignore[arg-type]
                description=description,
                required=True,
            )

    return WithJsonBody


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    definitions: dict[str, Any] = schema.get("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                return resolve(definitions[reference.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items() if key != "$defs"}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved
