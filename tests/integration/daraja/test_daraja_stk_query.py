"""STK Push Query through the Daraja adapter against a simulator process: pending, final, and retried faults."""

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from adapters.daraja.circuit_breaker import CircuitState, DarajaCircuitBreaker
from adapters.daraja.retry_policy import RetryPolicy
from adapters.daraja.settings import DarajaSettings
from adapters.daraja.stk_client import STK_QUERY_PATH, DarajaStkClient
from adapters.daraja.token_auth import DarajaTokenAuth
from adapters.system.clock import SystemClock
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.errors import ProviderRejectedError, ProviderUnavailableError
from domain.shared.phone import Phone
from domain.stk.payment import StkPushRequest
from domain.stk.query import StkQueryAnswer
from domain.stk.result_codes import PaymentStatus
from entrypoints.settings import SANDBOX_PASSKEY, SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET
from tests.simulator.fault_controls import clear_faults, requests_to, set_faults
from tests.support.phones import fresh_phone
from tests.support.processes import Simulator

# Tiny back-off: the tests are about which calls are repeated, not about waiting.
QUICK_RETRY = RetryPolicy(attempts=3, first_delay=0.01, max_delay=0.02)


@pytest.fixture(autouse=True)
def no_faults(simulator: Simulator) -> Iterator[None]:
    clear_faults(simulator.url)
    yield
    clear_faults(simulator.url)


def client_for(
    http: httpx.AsyncClient, simulator: Simulator, breaker: DarajaCircuitBreaker | None = None
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
    auth = DarajaTokenAuth(http, simulator.url, SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET, retry=QUICK_RETRY)
    return DarajaStkClient(
        http,
        auth,
        settings,
        SystemClock(),
        breaker=breaker or DarajaCircuitBreaker(failure_threshold=100),
        query_retry=QUICK_RETRY,
    )


async def pushed(client: DarajaStkClient, amount: int = 100) -> str:
    request = StkPushRequest(Phone.parse(fresh_phone()), Amount(amount), Description("Query me"), "INV0001", "tok")
    return (await client.start_stk_push(request)).checkout


async def final_answer(client: DarajaStkClient, checkout: str) -> StkQueryAnswer:
    for _ in range(100):
        answer = await client.query_stk(checkout)
        if not answer.pending:
            return answer
        await asyncio.sleep(0.05)
    raise AssertionError(f"{checkout} still pending after 5 s")


async def test_a_push_the_customer_has_not_answered_is_pending(http: httpx.AsyncClient, simulator: Simulator) -> None:
    client = client_for(http, simulator)
    checkout = await pushed(client)

    answer = await client.query_stk(checkout)

    assert answer == StkQueryAnswer.pending_for(checkout)
    assert answer.status is PaymentStatus.PENDING


async def test_a_settled_push_is_final_with_its_result_code_as_text(
    http: httpx.AsyncClient, simulator: Simulator
) -> None:
    client = client_for(http, simulator)
    checkout = await pushed(client)

    answer = await final_answer(client, checkout)

    assert (answer.checkout, answer.result_code) == (checkout, "0")
    assert answer.result_desc == "The service request is processed successfully."
    assert answer.merchant_request
    assert answer.status is PaymentStatus.SUCCESS


async def test_a_cancelled_push_is_final_and_cancelled(http: httpx.AsyncClient, simulator: Simulator) -> None:
    client = client_for(http, simulator)
    checkout = await pushed(client, amount=1032)

    answer = await final_answer(client, checkout)

    assert answer.result_code == "1032"
    assert answer.status is PaymentStatus.CANCELLED


async def test_a_query_is_retried_through_a_server_error(http: httpx.AsyncClient, simulator: Simulator) -> None:
    client = client_for(http, simulator)
    checkout = await pushed(client)
    before = requests_to(simulator.url, STK_QUERY_PATH)
    set_faults(simulator.url, path=STK_QUERY_PATH, fail_next=1, status=500)

    answer = await client.query_stk(checkout)

    assert answer.checkout == checkout
    assert requests_to(simulator.url, STK_QUERY_PATH) == before + 2


async def test_a_query_is_retried_through_malformed_bodies(http: httpx.AsyncClient, simulator: Simulator) -> None:
    client = client_for(http, simulator)
    checkout = await pushed(client)
    before = requests_to(simulator.url, STK_QUERY_PATH)
    set_faults(simulator.url, path=STK_QUERY_PATH, fail_next=2, malformed=True)

    answer = await client.query_stk(checkout)

    assert answer.checkout == checkout
    assert requests_to(simulator.url, STK_QUERY_PATH) == before + 3


@pytest.mark.parametrize("fault", [{"status": 503}, {"status": 429}, {"drop_after_processing": 5}])
async def test_a_query_gives_up_after_its_attempts_as_unavailable(
    http: httpx.AsyncClient, simulator: Simulator, fault: dict[str, object]
) -> None:
    client = client_for(http, simulator)
    checkout = await pushed(client)
    before = requests_to(simulator.url, STK_QUERY_PATH)
    set_faults(simulator.url, path=STK_QUERY_PATH, **({"fail_next": 5} if "status" in fault else {}), **fault)

    with pytest.raises(ProviderUnavailableError):
        await client.query_stk(checkout)

    assert requests_to(simulator.url, STK_QUERY_PATH) == before + QUICK_RETRY.attempts


async def test_a_query_answered_late_is_retried_after_the_read_timeout(simulator: Simulator) -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.3, connect=2.0)) as impatient:
        client = client_for(impatient, simulator)
        checkout = await pushed(client)
        set_faults(simulator.url, path=STK_QUERY_PATH, delay_seconds=1.0, delay_count=1)

        answer = await client.query_stk(checkout)

    assert answer.checkout == checkout


async def test_an_unknown_checkout_is_refused_and_not_retried(http: httpx.AsyncClient, simulator: Simulator) -> None:
    client = client_for(http, simulator)
    await pushed(client)  # the token is fetched
    before = requests_to(simulator.url, STK_QUERY_PATH)

    with pytest.raises(ProviderRejectedError) as refusal:
        await client.query_stk("ws_CO_000000000000000000000000")

    assert refusal.value.provider_code == "400.002.02"
    assert requests_to(simulator.url, STK_QUERY_PATH) == before + 1


async def test_a_token_that_expires_mid_flight_is_refreshed_once_for_a_query(
    http: httpx.AsyncClient, simulator: Simulator
) -> None:
    client = client_for(http, simulator)
    checkout = await pushed(client)
    tokens_before = simulator.stats()["oauth_tokens_issued"]
    queries_before = requests_to(simulator.url, STK_QUERY_PATH)
    (await http.post(f"{simulator.url}/simulator/tokens/expire")).raise_for_status()

    answer = await client.query_stk(checkout)

    assert answer.checkout == checkout
    assert simulator.stats()["oauth_tokens_issued"] == tokens_before + 1  # type: ignore[operator]
    assert requests_to(simulator.url, STK_QUERY_PATH) == queries_before + 2  # refused once, then answered


@pytest.fixture
def unpublished_forms(simulator: Simulator) -> Iterator[None]:
    """The simulator answers ResponseCode 0 (a number) and the pending query with PascalCase keys (docs/daraja.md)."""
    forms = f"{simulator.url}/simulator/body-forms"
    before = httpx.get(forms, timeout=5).json()
    httpx.post(forms, json={"response_code": "number", "pending_keys": "pascal"}, timeout=5).raise_for_status()
    yield
    httpx.post(forms, json=before, timeout=5).raise_for_status()


@pytest.mark.usefixtures("unpublished_forms")
async def test_a_numeric_response_code_and_a_pascal_case_pending_answer_are_read_as_such(
    http: httpx.AsyncClient, simulator: Simulator
) -> None:
    breaker = DarajaCircuitBreaker(failure_threshold=1)  # one answer taken for trouble would open it
    client = client_for(http, simulator, breaker)
    checkout = await pushed(client)  # accepted with ResponseCode 0
    before = requests_to(simulator.url, STK_QUERY_PATH)

    pending = await client.query_stk(checkout)

    assert pending == StkQueryAnswer.pending_for(checkout)
    assert requests_to(simulator.url, STK_QUERY_PATH) == before + 1  # not retried ...
    assert breaker.state is CircuitState.CLOSED  # ... nor counted against the breaker
    assert (await final_answer(client, checkout)).result_code == "0"
