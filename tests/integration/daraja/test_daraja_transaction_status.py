"""B2C Transaction Status through the adapter against a simulator process; its Result lands on a real receiver."""

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from adapters.daraja.b2c_client import DarajaB2cClient
from adapters.daraja.b2c_settings import B2cSettings
from adapters.daraja.circuit_breaker import DarajaCircuitBreaker
from adapters.daraja.retry_policy import RetryPolicy
from adapters.daraja.security_credential import security_credential
from adapters.daraja.token_auth import DarajaTokenAuth
from adapters.daraja.transaction_status import TRANSACTION_STATUS_PATH
from domain.b2c.withdrawal import B2cRequest
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.errors import ProviderRejectedError, ProviderUnavailableError
from domain.shared.phone import Phone
from domain.shared.status_query import StatusQueryRequest
from entrypoints.settings import SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET
from tests.simulator.fault_controls import clear_faults, requests_to, set_faults
from tests.simulator.harness import CallbackReceiver
from tests.support.phones import fresh_phone
from tests.support.processes import Simulator

QUICK_RETRY = RetryPolicy(attempts=3, first_delay=0.01, max_delay=0.02)


@pytest.fixture(autouse=True)
def no_faults(simulator: Simulator) -> Iterator[None]:
    clear_faults(simulator.url)
    yield
    clear_faults(simulator.url)


@pytest.fixture(scope="module")
def credential(simulator: Simulator) -> str:
    certificate = httpx.get(f"{simulator.url}/simulator/certificate", timeout=5)
    certificate.raise_for_status()
    return security_credential("Safaricom999!*!", certificate.content)


def client_for(
    http: httpx.AsyncClient, simulator: Simulator, credential: str, hooks_url: str, shortcode: str = "600996"
) -> DarajaB2cClient:
    settings = B2cSettings(
        base_url=simulator.url,
        shortcode=shortcode,
        initiator_name="testapi",
        result_base_url=f"{hooks_url}/api/v1/hooks/b2c/result",
        timeout_base_url=f"{hooks_url}/api/v1/hooks/b2c/timeout",
    )
    auth = DarajaTokenAuth(http, simulator.url, SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET, retry=QUICK_RETRY)
    return DarajaB2cClient(
        http, auth, settings, credential, breaker=DarajaCircuitBreaker(failure_threshold=100), query_retry=QUICK_RETRY
    )


def payout_request(amount: int = 100) -> B2cRequest:
    return B2cRequest(str(uuid.uuid4()), Phone.parse(fresh_phone()), Amount(amount), Description("Withdrawal"), "t")


def parameters(result: dict[str, Any]) -> dict[str, Any]:
    return {item["Key"]: item.get("Value") for item in result["Result"]["ResultParameters"]["ResultParameter"]}


def test_the_status_urls_default_to_siblings_of_the_result_url() -> None:
    settings = B2cSettings("http://d", "600996", "testapi", "https://gw/api/v1/hooks/b2c/result/", "https://gw/t")

    assert settings.status_result_base_url == "https://gw/api/v1/hooks/b2c/status"
    assert settings.status_timeout_base_url == "https://gw/api/v1/hooks/b2c/status-timeout"


async def test_a_status_query_is_accepted_and_its_result_posted_to_the_status_url(
    http: httpx.AsyncClient, simulator: Simulator, credential: str, receiver: tuple[CallbackReceiver, str]
) -> None:
    app, receiver_url = receiver
    client = client_for(http, simulator, credential, receiver_url)
    payout = payout_request(amount=250)
    await client.send_b2c(payout)
    await app.wait_for(f"/api/v1/hooks/b2c/result/{payout.callback_token}")  # settled
    token = uuid.uuid4().hex

    await client.request_transaction_status(StatusQueryRequest(payout.originator_conversation_id, token))

    [result] = await app.wait_for(f"/api/v1/hooks/b2c/status/{token}")
    found = parameters(result)
    assert result["Result"]["ResultCode"] == 0
    assert result["Result"]["OriginatorConversationID"] != payout.originator_conversation_id  # the query's own id
    assert found["OriginatorConversationID"] == payout.originator_conversation_id
    assert found["TransactionStatus"] == "Completed"
    assert int(found["Amount"]) == 250  # a number or a string of digits, as Daraja sends either
    assert found["ReceiptNo"]
    assert result["Result"]["ReferenceData"]["ReferenceItem"] == {
        "Key": "Occasion",
        "Value": payout.originator_conversation_id,
    }


async def test_a_status_query_sends_the_receipt_as_transaction_id_when_known(
    http: httpx.AsyncClient, simulator: Simulator, credential: str, receiver: tuple[CallbackReceiver, str]
) -> None:
    app, receiver_url = receiver
    client = client_for(http, simulator, credential, receiver_url)
    payout = replace(payout_request(), callback_token=uuid.uuid4().hex)
    await client.send_b2c(payout)
    [paid] = await app.wait_for(f"/api/v1/hooks/b2c/result/{payout.callback_token}")
    receipt = paid["Result"]["TransactionID"]
    token = uuid.uuid4().hex

    # An OriginatorConversationID Daraja never saw: only the receipt can find the payout.
    await client.request_transaction_status(StatusQueryRequest(str(uuid.uuid4()), token, receipt))

    [result] = await app.wait_for(f"/api/v1/hooks/b2c/status/{token}")
    found = parameters(result)
    assert (found["ReceiptNo"], found["OriginatorConversationID"]) == (receipt, payout.originator_conversation_id)


async def test_a_status_query_is_retried_through_unavailable_answers(
    http: httpx.AsyncClient, simulator: Simulator, credential: str, receiver: tuple[CallbackReceiver, str]
) -> None:
    app, receiver_url = receiver
    client = client_for(http, simulator, credential, receiver_url)
    payout = payout_request()
    await client.send_b2c(payout)
    before = requests_to(simulator.url, TRANSACTION_STATUS_PATH)
    set_faults(simulator.url, path=TRANSACTION_STATUS_PATH, fail_next=2, status=503)
    token = uuid.uuid4().hex

    await client.request_transaction_status(StatusQueryRequest(payout.originator_conversation_id, token))

    assert requests_to(simulator.url, TRANSACTION_STATUS_PATH) == before + 3
    [result] = await app.wait_for(f"/api/v1/hooks/b2c/status/{token}")
    assert parameters(result)["OriginatorConversationID"] == payout.originator_conversation_id


async def test_a_status_query_gives_up_as_unavailable_after_its_attempts(
    http: httpx.AsyncClient, simulator: Simulator, credential: str
) -> None:
    client = client_for(http, simulator, credential, "http://127.0.0.1:9")
    await client.send_b2c(payout_request())
    set_faults(simulator.url, path=TRANSACTION_STATUS_PATH, fail_next=5, malformed=True)

    with pytest.raises(ProviderUnavailableError):
        await client.request_transaction_status(StatusQueryRequest(str(uuid.uuid4()), uuid.uuid4().hex))


async def test_a_status_query_daraja_refuses_is_not_retried(
    http: httpx.AsyncClient, simulator: Simulator, credential: str
) -> None:
    client = client_for(http, simulator, credential, "http://127.0.0.1:9", shortcode="12")
    before = requests_to(simulator.url, TRANSACTION_STATUS_PATH)

    with pytest.raises(ProviderRejectedError) as refusal:
        await client.request_transaction_status(StatusQueryRequest(str(uuid.uuid4()), uuid.uuid4().hex))

    assert refusal.value.provider_code == "400.002.02"
    assert requests_to(simulator.url, TRANSACTION_STATUS_PATH) == before + 1
