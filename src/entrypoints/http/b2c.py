from typing import Annotated, Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import Parameter

from domain.b2c.use_cases.request_withdrawal import RequestWithdrawal, WithdrawCommand
from entrypoints.http.api_key_guard import API_KEY_SECURITY, require_api_key
from entrypoints.http.openapi_bodies import json_body
from entrypoints.protocol.errors import ok_reply
from entrypoints.protocol.messages import MAXIMUM_REF_LENGTH, HttpWithdrawBody, convert, decode_document


class B2cWithdrawController(Controller):
    path = "/api/v1/mpesa/b2c"
    tags = ["B2C withdraw"]
    guards = [require_api_key]
    security = API_KEY_SECURITY

    @post(
        "/withdraw",
        status_code=201,
        summary="Queue a B2C withdrawal for a hash (server to server, API key)",
        description=(
            "JSON body: phone, amount, description, hash, and optionally reference and metadata. Answers like the "
            "socket's `withdraw` reply (status `queued`); every socket on the hash gets the updates. Needs "
            "`Authorization: Bearer <API key>`. `Idempotency-Key` shares the B2C key space of the hash with the "
            "sockets' `ref`."
        ),
        operation_class=json_body(HttpWithdrawBody, "the withdrawal; no other field is allowed"),
    )
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        request_withdrawal: NamedDependency[RequestWithdrawal],
        idempotency_key: Annotated[
            str | None, Parameter(header="Idempotency-Key", min_length=1, max_length=MAXIMUM_REF_LENGTH)
        ] = None,
    ) -> dict[str, Any]:
        # Decoded by the socket protocol's own strict rules, so "100" or an array is refused here as there.
        body = convert(decode_document(await request.body()), HttpWithdrawBody)
        command = WithdrawCommand(
            body.subject,
            body.phone,
            body.amount,
            body.description,
            idempotency_key=idempotency_key,
            reference=body.reference,
            metadata=body.metadata,
        )
        return ok_reply("withdraw", None, (await request_withdrawal(command)).view())
