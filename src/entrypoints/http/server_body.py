"""How a server-to-server request is read: its body by the socket protocol's own strict rules, so "100" for an
amount, an array, or an unknown field is refused on HTTP as on a socket; and the optional `Idempotency-Key` header,
which shares its key space with the sockets' `ref`."""

from typing import Annotated, Any

from litestar import Request
from litestar.params import Parameter

from entrypoints.protocol.messages import MAXIMUM_REF_LENGTH, StructT, convert, decode_document

IdempotencyKey = Annotated[str | None, Parameter(header="Idempotency-Key", min_length=1, max_length=MAXIMUM_REF_LENGTH)]


async def server_body(request: Request[Any, Any, Any], shape: type[StructT]) -> StructT:
    return convert(decode_document(await request.body()), shape)
