from typing import Annotated, Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import Parameter

from domain.use_cases.push_payment import PushCommand, PushPayment
from entrypoints.http.openapi_bodies import json_body
from entrypoints.protocol.errors import ok_reply
from entrypoints.protocol.messages import MAXIMUM_REF_LENGTH, HttpPushBody, convert, decode_document
from entrypoints.ws.authorisation import ClientAuthorisation


class StkPushController(Controller):
    path = "/api/v1/mpesa/stk"
    tags = ["STK push"]

    @post(
        "/push",
        status_code=201,
        summary="Start an STK push for a hash (server to server)",
        description=(
            "JSON body: phone, amount, description, hash. Answers like the socket's `push` reply. With "
            "CLIENT_AUTH=signed, `Authorization: Bearer <capability token>` whose subject is the hash is required."
        ),
        operation_class=json_body(HttpPushBody, "the push; no other field is allowed"),
    )
    async def push(
        self,
        request: Request[Any, Any, Any],
        push_payment: NamedDependency[PushPayment],
        client_authorisation: NamedDependency[ClientAuthorisation],
        authorization: Annotated[str | None, Parameter(header="Authorization")] = None,
        idempotency_key: Annotated[
            str | None, Parameter(header="Idempotency-Key", min_length=1, max_length=MAXIMUM_REF_LENGTH)
        ] = None,
    ) -> dict[str, Any]:
        # Decoded by the socket protocol's own strict rules, so "100" or an array is refused here as there.
        body = convert(decode_document(await request.body()), HttpPushBody)
        client_authorisation.permit_push(client_authorisation.admit_server(authorization, body.hash), body.phone)
        command = PushCommand(body.hash, body.phone, body.amount, body.description, idempotency_key=idempotency_key)
        return ok_reply("push", None, (await push_payment(command)).view())
