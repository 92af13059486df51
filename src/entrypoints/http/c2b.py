import base64
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency

from domain.c2b.confirmation import C2bPayment
from domain.c2b.use_cases.create_payment_request import CreatePaymentRequest, CreatePaymentRequestCommand
from domain.c2b.use_cases.draw_request_qr import DrawRequestQr
from domain.c2b.use_cases.find_payments import FindC2bPayments
from domain.shared.errors import NotFoundError, ValidationError
from entrypoints.http.api_key_guard import API_KEY_SECURITY, require_api_key
from entrypoints.http.openapi_bodies import json_body
from entrypoints.http.server_body import server_body
from entrypoints.protocol.errors import ok_reply

# The store's lookup by TransID, as the container hands it over (a Protocol cannot be a dependency's type).
PaymentByTransId = Callable[[str], Awaitable[C2bPayment | None]]
_Subject = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class PaymentRequestBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    subject: _Subject = msgspec.field(name="hash")  # the subject, `hash` on the wire
    account_reference: str
    amount_rule: str
    expires_at: datetime
    amount: int | None = None
    metadata: dict[str, Any] | None = None


class C2bController(Controller):
    """The server API of C2B: the payments a merchant expects, and the confirmed payments as stored."""

    path = "/api/v1/mpesa/c2b"
    tags = ["C2B"]
    guards = [require_api_key]
    security = API_KEY_SECURITY

    @post(
        "/requests",
        status_code=201,
        summary="Expect a Paybill payment to an account reference (server to server, API key)",
        description=(
            "JSON body: hash, account_reference, amount_rule (exact, minimum, open), expires_at (ISO 8601 with a "
            "time zone), amount (left out for open) and optionally metadata (docs/c2b.md)."
        ),
        operation_class=json_body(PaymentRequestBody, "the payment request; no other field is allowed"),
    )
    async def create_request(
        self, request: Request[Any, Any, Any], create_payment_request: NamedDependency[CreatePaymentRequest]
    ) -> dict[str, Any]:
        # Decoded by the socket protocol's strict rules, as POST /api/v1/mpesa/stk/push is.
        body = await server_body(request, PaymentRequestBody)
        if body.expires_at.tzinfo is None:
            raise ValidationError("expires_at", "needs a time zone")
        command = CreatePaymentRequestCommand(
            body.subject, body.account_reference, body.amount_rule, body.expires_at, body.amount, body.metadata
        )
        return ok_reply("c2b_request", None, (await create_payment_request(command)).view())

    @get(
        "/requests/{request_id:str}/qr",
        summary="The M-PESA QR code that pays an open payment request by Paybill (server to server, API key)",
        description=(
            "Query: hash. The PNG, base64 in `png_base64`, drawn by Daraja's Dynamic QR for the Paybill "
            "(C2B_SHORTCODE), the request's account reference and what is still owed (docs/c2b.md)."
        ),
    )
    async def request_qr(
        self, request_id: str, hash: _Subject, draw_request_qr: NamedDependency[DrawRequestQr]
    ) -> dict[str, Any]:
        subject = hash  # the query parameter's name in the API
        image = await draw_request_qr(subject, request_id)
        data = {
            "request_id": request_id,
            "png_base64": base64.b64encode(image.png).decode(),
            "qr_request_id": image.request_id,
        }
        return ok_reply("c2b_qr", None, data)

    @get(
        "/payments",
        summary="C2B payments by account reference and/or payer phone, newest first (server to server, API key)",
        description=(
            "Query: reference (the account number, in any case and spacing), phone (any Kenyan form), or both; "
            "limit (1 to 100, default 50). Daraja sends the payer's number plain, hashed or masked: a masked one "
            "matches by its visible digits, so it may be another customer's (`payer_form` says which, docs/c2b.md)."
        ),
    )
    async def payments(
        self,
        find_c2b_payments: NamedDependency[FindC2bPayments],
        reference: str | None = None,
        phone: str | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        found = await find_c2b_payments(reference, phone, limit)
        return ok_reply("c2b_payments", None, {"payments": [payment.view() for payment in found]})

    @get(
        "/payments/{trans_id:str}",
        summary="One confirmed C2B payment by its M-PESA receipt (TransID)",
        description="Matched to a request or not (`match`); the payer's number as Daraja sent it (docs/c2b.md).",
    )
    async def payment(
        self, trans_id: str, c2b_payment_by_trans_id: NamedDependency[PaymentByTransId]
    ) -> dict[str, Any]:
        payment = await c2b_payment_by_trans_id(trans_id)
        if payment is None:
            raise NotFoundError(f"no C2B payment {trans_id}")
        return dict(payment.view())
