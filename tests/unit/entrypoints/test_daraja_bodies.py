"""Every real-world Daraja body in tests/daraja_bodies/ (each names its public source) read by the gateway's own
parsers and HTTP clients, to the outcome the file expects. The clients meet the bodies through httpx.MockTransport,
so what is tested is the adapter's whole reading of an answer: status, body, retries and circuit breaker."""

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.daraja.b2c_client import B2C_PAYMENT_PATH, DarajaB2cClient
from adapters.daraja.b2c_settings import B2cSettings
from adapters.daraja.circuit_breaker import CircuitState, DarajaCircuitBreaker
from adapters.daraja.retry_policy import RetryPolicy
from adapters.daraja.settings import DarajaSettings
from adapters.daraja.stk_client import STK_PUSH_PATH, STK_QUERY_PATH, DarajaStkClient
from adapters.daraja.token_auth import OAUTH_PATH, DarajaTokenAuth
from domain.b2c.withdrawal import B2cRequest
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.errors import (
    DuplicatePayoutError,
    ProviderOutcomeUnknownError,
    ProviderRejectedError,
)
from domain.shared.phone import Phone
from domain.stk.payment import StkPushRequest
from entrypoints.http.daraja_b2c_body import parse_b2c_result
from entrypoints.http.daraja_callback_body import parse_stk_callback
from entrypoints.http.daraja_reversal_body import parse_reversal_result
from entrypoints.http.daraja_status_body import parse_transaction_status
from tests.unit.fakes import FixedClock

BODIES = Path(__file__).parent.parent.parent / "daraja_bodies"
BASE_URL = "https://daraja.test"
TOKEN_BODY = {"access_token": "corpus-token", "expires_in": "3599"}
QUICK_RETRY = RetryPolicy(attempts=3, first_delay=0.0, max_delay=0.0)


def _corpus(kind: str) -> list[Any]:
    cases = [(path.stem, json.loads(path.read_text())) for path in sorted(BODIES.glob("*.json"))]
    return [pytest.param(case, id=name) for name, case in cases if case["kind"] == kind]


def test_every_body_names_its_public_source_and_is_tested() -> None:
    kinds = {"stk_callback", "stk_push_answer", "stk_query_answer", "b2c_answer", "b2c_result",
             "transaction_status", "oauth", "reversal_result"}  # fmt: skip
    cases = [json.loads(path.read_text()) for path in BODIES.glob("*.json")]
    assert len(cases) >= 30
    assert all(case["source"].strip() and case["kind"] in kinds for case in cases)
    assert "/work/" not in json.dumps(cases)  # sources are public, never a local file


class FakeDaraja:
    """Answers OAuth with `token_body` and every other path with the corpus answer; counts requests per path."""

    def __init__(self, status: int, body: object, token_body: object = TOKEN_BODY) -> None:
        self.status, self.body, self.token_body = status, body, token_body
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == OAUTH_PATH:
            return httpx.Response(200, json=self.token_body)
        return httpx.Response(self.status, json=self.body)

    def calls_to(self, path: str) -> int:
        return sum(1 for request in self.requests if request.url.path == path)


NOW = datetime(2024, 7, 6, 19, 48, 52, tzinfo=UTC)


def _http(daraja: FakeDaraja) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(daraja))


def _stk_client(http: httpx.AsyncClient, breaker: DarajaCircuitBreaker | None = None) -> DarajaStkClient:
    settings = DarajaSettings(
        base_url=BASE_URL,
        consumer_key="key",
        consumer_secret="secret",
        shortcode="174379",
        passkey="passkey",
        transaction_type="CustomerPayBillOnline",
        callback_base_url="https://gateway.test/hooks/stk",
    )
    auth = DarajaTokenAuth(http, BASE_URL, "key", "secret", retry=QUICK_RETRY)
    return DarajaStkClient(http, auth, settings, FixedClock(NOW), breaker=breaker, query_retry=QUICK_RETRY)


def _b2c_client(http: httpx.AsyncClient) -> DarajaB2cClient:
    settings = B2cSettings(
        base_url=BASE_URL,
        shortcode="600996",
        initiator_name="testapi",
        result_base_url="https://gateway.test/hooks/b2c/result",
        timeout_base_url="https://gateway.test/hooks/b2c/timeout",
    )
    auth = DarajaTokenAuth(http, BASE_URL, "key", "secret", retry=QUICK_RETRY)
    return DarajaB2cClient(http, auth, settings, "credential", query_retry=QUICK_RETRY)


def _push_request() -> StkPushRequest:
    return StkPushRequest(Phone.parse("254708374149"), Amount(1), Description("Order 0001"), "INV0001", "tok")


def _payout_request() -> B2cRequest:
    return B2cRequest("5f0c2a0e-9a7b-4a4e-9a7e-2d4f6b1c9e01", Phone.parse("254705912645"), Amount(10),
                      Description("Payout 0001"), "tok")  # fmt: skip


def _fields(result: object, expected: dict[str, Any]) -> dict[str, Any]:
    values = asdict(result)  # type: ignore[call-overload]
    return {name: values[name] for name in expected}


@pytest.mark.parametrize("case", _corpus("stk_callback"))
def test_stk_callbacks_are_read_as_published(case: dict[str, Any]) -> None:
    result = parse_stk_callback(json.dumps(case["body"]).encode())

    assert _fields(result, case["expect"]) == case["expect"]


@pytest.mark.parametrize("case", _corpus("b2c_result"))
def test_b2c_results_and_queue_time_outs_are_read_as_published(case: dict[str, Any]) -> None:
    result = parse_b2c_result(json.dumps(case["body"]).encode())

    assert _fields(result, case["expect"]) == case["expect"]


@pytest.mark.parametrize("case", _corpus("reversal_result"))
def test_reversal_results_are_read_as_published(case: dict[str, Any]) -> None:
    result = parse_reversal_result(json.dumps(case["body"]).encode())

    assert _fields(result, case["expect"]) == case["expect"]


@pytest.mark.parametrize("case", _corpus("transaction_status"))
def test_transaction_status_results_are_read_as_published(case: dict[str, Any]) -> None:
    result = parse_transaction_status(json.dumps(case["body"]).encode())

    assert _fields(result, case["expect"]) == case["expect"]


@pytest.mark.parametrize("case", _corpus("stk_push_answer"))
async def test_stk_push_answers_read_as_published(case: dict[str, Any]) -> None:
    daraja, expect = FakeDaraja(case["http_status"], case["body"]), case["expect"]
    async with _http(daraja) as http:
        push = _stk_client(http).start_stk_push(_push_request())
        if expect["outcome"] == "accepted":
            assert (await push).checkout == expect["checkout"]
        elif expect["outcome"] == "refused":
            with pytest.raises(ProviderRejectedError) as refused:
                await push
            assert refused.value.provider_code == expect["provider_code"]
        else:
            with pytest.raises(ProviderOutcomeUnknownError):
                await push
    assert daraja.calls_to(STK_PUSH_PATH) == 1  # a push is never sent twice


@pytest.mark.parametrize("case", _corpus("stk_query_answer"))
async def test_stk_query_answers_read_as_published(case: dict[str, Any]) -> None:
    daraja, expect = FakeDaraja(case["http_status"], case["body"]), case["expect"]
    breaker = DarajaCircuitBreaker(failure_threshold=1)  # one answer taken for trouble would open it
    async with _http(daraja) as http:
        query = _stk_client(http, breaker).query_stk("ws_CO_13012021093521236557")
        if expect["outcome"] == "refused":
            with pytest.raises(ProviderRejectedError) as refused:
                await query
            assert refused.value.provider_code == expect["provider_code"]
        else:
            answer = await query
            assert answer.pending is (expect["outcome"] == "pending")
            assert answer.result_code == expect.get("result_code")
    assert daraja.calls_to(STK_QUERY_PATH) == 1  # a definite answer is not retried
    assert breaker.state is CircuitState.CLOSED  # nor counted as Daraja in trouble


_B2C_ERRORS: dict[str, type[Exception]] = {"duplicate": DuplicatePayoutError, "unknown": ProviderOutcomeUnknownError}


@pytest.mark.parametrize("case", _corpus("b2c_answer"))
async def test_b2c_answers_read_as_published(case: dict[str, Any]) -> None:
    daraja, expect = FakeDaraja(case["http_status"], case["body"]), case["expect"]
    async with _http(daraja) as http:
        payout = _b2c_client(http).send_b2c(_payout_request())
        if expect["outcome"] == "accepted":
            assert (await payout).conversation_id == expect["conversation_id"]
        else:
            with pytest.raises(_B2C_ERRORS[expect["outcome"]]):
                await payout
    assert daraja.calls_to(B2C_PAYMENT_PATH) == 1  # a payout is never sent twice


@pytest.mark.parametrize("case", _corpus("oauth"))
async def test_oauth_answers_give_a_token_that_is_used_and_kept(case: dict[str, Any]) -> None:
    accepted = json.loads((BODIES / "stk_push_accepted.json").read_text())["body"]
    daraja = FakeDaraja(200, accepted, token_body=case["body"])
    async with _http(daraja) as http:
        client = _stk_client(http)
        await client.start_stk_push(_push_request())
        await client.start_stk_push(_push_request())

    pushes = [request for request in daraja.requests if request.url.path == STK_PUSH_PATH]
    assert [request.headers["Authorization"] for request in pushes] == [f"Bearer {case['expect']['token']}"] * 2
    assert daraja.calls_to(OAUTH_PATH) == 1  # expires_in read as about an hour, in either form
