from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency

from domain.b2c.use_cases.request_withdrawal import RequestWithdrawal, WithdrawCommand
from entrypoints.http.api_key_guard import API_KEY_SECURITY, require_api_key
from entrypoints.http.openapi_bodies import json_body
from entrypoints.http.server_body import IdempotencyKey, server_body
from entrypoints.protocol.errors import ok_reply
from entrypoints.protocol.messages import HttpWithdrawBody


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
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        body = await server_body(request, HttpWithdrawBody)
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
