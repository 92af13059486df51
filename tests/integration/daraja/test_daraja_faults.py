"""Daraja in trouble, through the adapters against a simulator process with injected faults: what is retried
(only OAuth and queries), what is never repeated (pushes, payouts), and the circuit breaker."""

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import pytest

from adapters.daraja.b2c_client import B2C_PAYMENT_PATH, DarajaB2cClient
from adapters.daraja.b2c_settings import B2cSettings
from adapters.daraja.circuit_breaker import CircuitOpenError, CircuitState, DarajaCircuitBreaker
from adapters.daraja.retry_policy import RetryPolicy
from adapters.daraja.security_credential import security_credential
from adapters.daraja.settings import DarajaSettings
from adapters.daraja.stk_client import STK_PUSH_PATH, STK_QUERY_PATH, DarajaStkClient
from adapters.daraja.token_auth import OAUTH_PATH, DarajaTokenAuth
from adapters.system.clock import SystemClock
from domain.b2c.withdrawal import B2cRequest
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.errors import (
    ProviderOutcomeUnknownError,
    ProviderUnavailableError,
    ProviderUnreachableError,
)
from domain.shared.phone import Phone
from domain.stk.payment import StkPushRequest
from entrypoints.settings import SANDBOX_PASSKEY, SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET
from tests.simulator.fault_controls import (
    clear_faults,
    daraja_requests,
    requests_to,
    set_faults,
    wait_until_listening,
)
from tests.support.phones import fresh_phone
from tests.support.processes import Simulator

QUICK_RETRY = RetryPolicy(attempts=3, first_delay=0.01, max_delay=0.02)
NO_RETRY = RetryPolicy(attempts=1)


@pytest.fixture(autouse=True)
def no_faults(simulator: Simulator) -> Iterator[None]:
    clear_faults(simulator.url)
    yield
    wait_until_listening(simulator.url)
    clear_faults(simulator.url)


@pytest.fixture(scope="module")
def credential(simulator: Simulator) -> str:
    certificate = httpx.get(f"{simulator.url}/simulator/certificate", timeout=5)
    certificate.raise_for_status()
    return security_credential("Safaricom999!*!", certificate.content)


def auth_for(http: httpx.AsyncClient, simulator: Simulator, retry: RetryPolicy = QUICK_RETRY) -> DarajaTokenAuth:
    return DarajaTokenAuth(http, simulator.url, SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET, retry=retry)


def stk_client(
    http: httpx.AsyncClient,
    simulator: Simulator,
    breaker: DarajaCircuitBreaker | None = None,
    query_retry: RetryPolicy = QUICK_RETRY,
    auth: DarajaTokenAuth | None = None,
) -> DarajaStkClient:
    settings = DarajaSettings(
        base_url=simulator.url,
        consumer_key=SIMULATOR_CONSUMER_KEY,
        consumer_secret=SIMULATOR_CONSUMER_SECRET,
        shortcode="174379",
        passkey=SANDBOX_PASSKEY,
        transaction_type="CustomerPayBillOnline",
        callback_base_url="http://127.0.0.1:9/api/v1/hooks/stk",
    )
    return DarajaStkClient(
        http,
        auth or auth_for(http, simulator),
        settings,
        SystemClock(),
        breaker=breaker or DarajaCircuitBreaker(failure_threshold=100),
        query_retry=query_retry,
    )


def b2c_client(
    http: httpx.AsyncClient, simulator: Simulator, credential: str, breaker: DarajaCircuitBreaker
) -> DarajaB2cClient:
    settings = B2cSettings(
        base_url=simulator.url,
        shortcode="600996",
        initiator_name="testapi",
        result_base_url="http://127.0.0.1:9/api/v1/hooks/b2c/result",
        timeout_base_url="http://127.0.0.1:9/api/v1/hooks/b2c/timeout",
    )
    return DarajaB2cClient(http, auth_for(http, simulator), settings, credential, breaker=breaker)


def push_request(amount: int = 100) -> StkPushRequest:
    return StkPushRequest(Phone.parse(fresh_phone()), Amount(amount), Description("Faults"), "INV0001", "tok")


def payout_request() -> B2cRequest:
    return B2cRequest(str(uuid.uuid4()), Phone.parse(fresh_phone()), Amount(100), Description("Faults"), "tok")


async def checkout_to_query(client: DarajaStkClient) -> str:
    return (await client.start_stk_push(push_request())).checkout


# Never repeated ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", [{"fail_next": 1, "status": 500}, {"fail_next": 1, "malformed": True}])
async def test_a_push_answered_with_an_error_is_not_retried_and_its_outcome_is_unknown(
    http: httpx.AsyncClient, simulator: Simulator, fault: dict[str, object]
) -> None:
    client = stk_client(http, simulator)
    await client.start_stk_push(push_request())  # the token is fetched
    before = requests_to(simulator.url, STK_PUSH_PATH)
    set_faults(simulator.url, path=STK_PUSH_PATH, **fault)

    with pytest.raises(ProviderOutcomeUnknownError):
        await client.start_stk_push(push_request())

    assert requests_to(simulator.url, STK_PUSH_PATH) == before + 1


async def test_a_push_that_times_out_is_not_retried_though_daraja_processed_it(simulator: Simulator) -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.3, connect=2.0)) as impatient:
        client = stk_client(impatient, simulator)
        await client.start_stk_push(push_request())
        before, pushes_before = requests_to(simulator.url, STK_PUSH_PATH), simulator.stk_push_count()
        set_faults(simulator.url, path=STK_PUSH_PATH, delay_seconds=1.0)

        with pytest.raises(ProviderOutcomeUnknownError):
            await client.start_stk_push(push_request())

    assert requests_to(simulator.url, STK_PUSH_PATH) == before + 1
    assert simulator.stk_push_count() == pushes_before + 1


async def test_a_push_whose_answer_is_dropped_was_processed_once_and_its_outcome_is_unknown(
    http: httpx.AsyncClient, simulator: Simulator
) -> None:
    client = stk_client(http, simulator)
    await client.start_stk_push(push_request())
    pushes_before = simulator.stk_push_count()
    set_faults(simulator.url, path=STK_PUSH_PATH, drop_after_processing=1)

    with pytest.raises(ProviderOutcomeUnknownError):
        await client.start_stk_push(push_request())

    assert simulator.stk_push_count() == pushes_before + 1
    assert simulator.stats()["faults"]["dropped"] == 1  # type: ignore[index]


async def test_a_payout_whose_answer_is_dropped_is_sent_exactly_once(
    http: httpx.AsyncClient, simulator: Simulator, credential: str
) -> None:
    client = b2c_client(http, simulator, credential, DarajaCircuitBreaker())
    await client.send_b2c(payout_request())
    request = payout_request()
    set_faults(simulator.url, path=B2C_PAYMENT_PATH, drop_after_processing=1)

    with pytest.raises(ProviderOutcomeUnknownError):
        await client.send_b2c(request)

    assert simulator.b2c_requests(request.originator_conversation_id) == 1


async def test_a_payout_answered_with_a_server_error_is_not_retried(
    http: httpx.AsyncClient, simulator: Simulator, credential: str
) -> None:
    client = b2c_client(http, simulator, credential, DarajaCircuitBreaker())
    await client.send_b2c(payout_request())
    before = requests_to(simulator.url, B2C_PAYMENT_PATH)
    set_faults(simulator.url, path=B2C_PAYMENT_PATH, fail_next=1, status=503)

    with pytest.raises(ProviderOutcomeUnknownError):
        await client.send_b2c(payout_request())

    assert requests_to(simulator.url, B2C_PAYMENT_PATH) == before + 1


# OAuth: harmless, so retried --------------------------------------------------------------------------------


async def test_the_token_fetch_is_retried_through_unavailable_answers(
    http: httpx.AsyncClient, simulator: Simulator
) -> None:
    client = stk_client(http, simulator)
    tokens_before, oauth_before = simulator.stats()["oauth_tokens_issued"], requests_to(simulator.url, OAUTH_PATH)
    set_faults(simulator.url, path=OAUTH_PATH, fail_next=2, status=503)

    accepted = await client.start_stk_push(push_request())

    assert accepted.checkout.startswith("ws_CO_")
    assert requests_to(simulator.url, OAUTH_PATH) == oauth_before + 3
    assert simulator.stats()["oauth_tokens_issued"] == tokens_before + 1  # type: ignore[operator]


async def test_a_token_that_cannot_be_had_stops_the_push_before_it_is_sent(
    http: httpx.AsyncClient, simulator: Simulator
) -> None:
    breaker = DarajaCircuitBreaker(failure_threshold=1)
    client = stk_client(http, simulator, breaker=breaker)
    pushes_before, oauth_before = requests_to(simulator.url, STK_PUSH_PATH), requests_to(simulator.url, OAUTH_PATH)
    set_faults(simulator.url, path=OAUTH_PATH, fail_next=10, malformed=True)

    with pytest.raises(ProviderUnreachableError):  # nothing sent: safe to call the payment failed
        await client.start_stk_push(push_request())

    assert requests_to(simulator.url, OAUTH_PATH) == oauth_before + QUICK_RETRY.attempts
    assert requests_to(simulator.url, STK_PUSH_PATH) == pushes_before
    assert breaker.state is CircuitState.OPEN


# Throttling and the circuit breaker -------------------------------------------------------------------------


async def test_a_throttled_push_is_unavailable_and_counts_against_the_breaker(
    http: httpx.AsyncClient, simulator: Simulator
) -> None:
    breaker = DarajaCircuitBreaker(failure_threshold=1)
    client = stk_client(http, simulator, breaker=breaker)
    await client.start_stk_push(push_request())
    set_faults(simulator.url, path=STK_PUSH_PATH, fail_next=1, status=429)

    with pytest.raises(ProviderUnavailableError) as throttled:
        await client.start_stk_push(push_request())

    assert isinstance(throttled.value, ProviderUnreachableError)  # turned away before anything started
    assert breaker.state is CircuitState.OPEN


async def test_the_breaker_opens_after_repeated_failures_and_then_fails_at_once_without_sending(
    http: httpx.AsyncClient, simulator: Simulator
) -> None:
    breaker = DarajaCircuitBreaker(failure_threshold=3, reset_seconds=60)
    client = stk_client(http, simulator, breaker=breaker, query_retry=NO_RETRY)
    checkout = await checkout_to_query(client)
    set_faults(simulator.url, path=STK_QUERY_PATH, fail_next=3, status=503)
    for _ in range(3):
        with pytest.raises(ProviderUnavailableError):
            await client.query_stk(checkout)
    before = daraja_requests(simulator.url)

    with pytest.raises(CircuitOpenError):
        await client.query_stk(checkout)
    with pytest.raises(CircuitOpenError):
        await client.start_stk_push(push_request())

    assert breaker.state is CircuitState.OPEN
    assert daraja_requests(simulator.url) == before


async def test_an_open_breaker_is_not_retried_by_a_query(http: httpx.AsyncClient, simulator: Simulator) -> None:
    breaker = DarajaCircuitBreaker(failure_threshold=2, reset_seconds=60)
    client = stk_client(http, simulator, breaker=breaker, query_retry=RetryPolicy(attempts=5, first_delay=0.01))
    checkout = await checkout_to_query(client)
    before = requests_to(simulator.url, STK_QUERY_PATH)
    set_faults(simulator.url, path=STK_QUERY_PATH, fail_next=5, status=500)

    with pytest.raises(CircuitOpenError):
        await client.query_stk(checkout)

    assert requests_to(simulator.url, STK_QUERY_PATH) == before + 2  # the third attempt met the open circuit


async def test_the_breaker_half_opens_after_the_cool_down_and_closes_when_daraja_answers(
    http: httpx.AsyncClient, simulator: Simulator
) -> None:
    breaker = DarajaCircuitBreaker(failure_threshold=2, reset_seconds=0.3)
    client = stk_client(http, simulator, breaker=breaker, query_retry=NO_RETRY)
    checkout = await checkout_to_query(client)
    set_faults(simulator.url, path=STK_QUERY_PATH, fail_next=2, status=500)
    for _ in range(2):
        with pytest.raises(ProviderUnavailableError):
            await client.query_stk(checkout)
    assert breaker.state is CircuitState.OPEN

    await asyncio.sleep(0.35)
    answer = await client.query_stk(checkout)

    assert answer.checkout == checkout
    assert breaker.state is CircuitState.CLOSED
    await client.start_stk_push(push_request())  # everything flows again


async def test_a_failed_trial_call_opens_the_breaker_again(http: httpx.AsyncClient, simulator: Simulator) -> None:
    breaker = DarajaCircuitBreaker(failure_threshold=1, reset_seconds=0.2)
    client = stk_client(http, simulator, breaker=breaker, query_retry=NO_RETRY)
    checkout = await checkout_to_query(client)
    set_faults(simulator.url, path=STK_QUERY_PATH, fail_next=2, status=503)
    with pytest.raises(ProviderUnavailableError):
        await client.query_stk(checkout)
    await asyncio.sleep(0.25)

    with pytest.raises(ProviderUnavailableError) as trial:
        await client.query_stk(checkout)

    assert not isinstance(trial.value, CircuitOpenError)  # the trial did reach Daraja
    assert breaker.state is CircuitState.OPEN
    with pytest.raises(CircuitOpenError):
        await client.query_stk(checkout)


async def test_one_breaker_guards_push_and_payout_alike(
    http: httpx.AsyncClient, simulator: Simulator, credential: str
) -> None:
    breaker = DarajaCircuitBreaker(failure_threshold=1, reset_seconds=60)
    stk = stk_client(http, simulator, breaker=breaker)
    payouts = b2c_client(http, simulator, credential, breaker)
    await stk.start_stk_push(push_request())
    set_faults(simulator.url, path=STK_PUSH_PATH, fail_next=1, status=503)
    with pytest.raises(ProviderOutcomeUnknownError):
        await stk.start_stk_push(push_request())
    payouts_before = simulator.b2c_request_count()

    with pytest.raises(CircuitOpenError):
        await payouts.send_b2c(payout_request())

    assert simulator.b2c_request_count() == payouts_before


# Refused connections ----------------------------------------------------------------------------------------


async def test_refused_connections_are_unreachable_and_open_the_breaker(
    http: httpx.AsyncClient, simulator: Simulator
) -> None:
    breaker = DarajaCircuitBreaker(failure_threshold=1 + QUICK_RETRY.attempts, reset_seconds=60)
    client = stk_client(http, simulator, breaker=breaker)
    await client.start_stk_push(push_request())  # a pooled keep-alive connection exists
    set_faults(simulator.url, refuse_connections=True, refuse_seconds=1.0)

    with pytest.raises(ProviderUnreachableError) as push_refused:
        await client.start_stk_push(push_request())
    with pytest.raises(ProviderUnreachableError) as query_refused:
        await client.query_stk("ws_CO_000000000000000000000000")  # tried three times, refused each time

    assert isinstance(push_refused.value.__cause__, httpx.ConnectError)
    assert isinstance(query_refused.value.__cause__, httpx.ConnectError)  # the breaker opened only then
    assert breaker.state is CircuitState.OPEN
