from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency

from domain.stk.use_cases.push_payment import PushCommand, PushPayment
from entrypoints.http.api_key_guard import API_KEY_SECURITY, require_api_key
from entrypoints.http.openapi_bodies import json_body
from entrypoints.http.server_body import IdempotencyKey, server_body
from entrypoints.protocol.errors import ok_reply
from entrypoints.protocol.messages import HttpPushBody


class StkPushController(Controller):
    path = "/api/v1/mpesa/stk"
    tags = ["STK push"]
    guards = [require_api_key]
    security = API_KEY_SECURITY

    @post(
        "/push",
        status_code=201,
        summary="Start an STK push for a hash (server to server, API key)",
        description=(
            "JSON body: phone, amount, description, hash, and optionally reference and metadata. Answers like the "
            "socket's `push` reply; every socket on the hash gets the updates. Needs `Authorization: Bearer <API "
            "key>`. `Idempotency-Key` shares the STK key space of the hash with the sockets' `ref`."
        ),
        operation_class=json_body(HttpPushBody, "the push; no other field is allowed"),
    )
    async def push(
        self,
        request: Request[Any, Any, Any],
        push_payment: NamedDependency[PushPayment],
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        body = await server_body(request, HttpPushBody)
        command = PushCommand(
            body.subject,
            body.phone,
            body.amount,
            body.description,
            idempotency_key=idempotency_key,
            reference=body.reference,
            metadata=body.metadata,
        )
        return ok_reply("push", None, (await push_payment(command)).view())
