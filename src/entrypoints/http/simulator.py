"""Simulator mode only: `POST /api/v1/simulator/prompt-counts/reset` forgets the per-phone prompt counts, so a
developer trying the examples again and again on one phone need not wait out STK_PROMPT_WINDOW_SECONDS; and
`POST /api/v1/simulator/c2b/pay` has the simulator's customer pay the C2B Paybill (the demo page's Paybill tab).

The counts are the gateway's own (in its memory, or in Redis), not the simulator's: the simulator's `/simulator/reset`
cannot clear them. The route does not exist at all in sandbox or production."""

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency

from domain.c2b.use_cases.register_urls import RegisterUrls
from domain.shared.phone import Phone
from domain.stk.prompt_limits import PromptGate
from entrypoints.http.api_key_guard import API_KEY_SECURITY, require_api_key
from entrypoints.http.openapi_bodies import json_body
from entrypoints.http.server_body import server_body
from entrypoints.protocol.errors import ok_reply
from entrypoints.protocol.messages import convert, decode_document

PROMPT_COUNTS_RESET_PATH = "/api/v1/simulator/prompt-counts/reset"


class PromptCountsReset(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    phone: str | None = None


# The simulator's customer paying (account, amount, scenario), as the container hands it over.
CustomerPays = Callable[[str, int, str | None], Awaitable[dict[str, Any]]]


class SimulatedPayment(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    account: str
    amount: int
    scenario: str | None = None


class SimulatorController(Controller):
    path = "/api/v1/simulator"
    tags = ["Simulator"]
    guards = [require_api_key]
    security = API_KEY_SECURITY

    @post(
        "/prompt-counts/reset",
        status_code=200,
        summary="Forget the per-phone prompt counts (simulator mode only)",
        description=(
            'JSON body `{"phone": "2547…"}` for one phone (any Kenyan form), or `{}` (or no body) for every '
            "phone: they may be prompted STK_PROMPTS_PER_PHONE times again at once. A prompt still open keeps its "
            "phone until it ends. Served only when MPESA_ENV=simulator."
        ),
        operation_class=json_body(PromptCountsReset, "the phone, or nothing for every phone"),
    )
    async def reset_prompt_counts(
        self, request: Request[Any, Any, Any], prompt_gate: NamedDependency[PromptGate]
    ) -> dict[str, Any]:
        raw = await request.body()
        body = convert(decode_document(raw), PromptCountsReset) if raw.strip() else PromptCountsReset()
        phone = None if body.phone is None else Phone.parse(body.phone)
        await prompt_gate.forget_counts(phone)
        return ok_reply("reset", None, {"phone": None if phone is None else phone.msisdn})

    @post(
        "/c2b/pay",
        status_code=200,
        summary="A simulated customer pays the C2B Paybill (simulator mode only)",
        description=(
            'JSON body `{"account": "INV-1", "amount": 100}` and optionally `scenario` (normal, validation_timeout, '
            "duplicate_confirmation, confirmation_lost, wrong_account). Registers the gateway's C2B URLs with the "
            "simulator first (C2B_NOT_CONFIGURED without C2B_HOOK_SECRET), then has the simulator's customer pay; "
            "answers the payment as the simulator recorded it. Served only when MPESA_ENV=simulator."
        ),
        operation_class=json_body(SimulatedPayment, "what the customer pays"),
    )
    async def customer_pays(
        self,
        request: Request[Any, Any, Any],
        register_c2b_urls: NamedDependency[RegisterUrls],
        simulated_customer_pays: NamedDependency[CustomerPays],
    ) -> dict[str, Any]:
        body = await server_body(request, SimulatedPayment)
        await register_c2b_urls()
        return ok_reply("c2b_pay", None, await simulated_customer_pays(body.account, body.amount, body.scenario))


def simulator_routes(*, enabled: bool) -> list[type[Controller]]:
    return [SimulatorController] if enabled else []
