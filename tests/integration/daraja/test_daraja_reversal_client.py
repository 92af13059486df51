"""The reversal adapter against the bundled simulator over real HTTP, with a real receiver for its Results."""

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from adapters.daraja.reversal_client import DarajaReversalClient, ReversalSettings
from adapters.daraja.security_credential import security_credential
from adapters.daraja.token_auth import DarajaTokenAuth
from adapters.local_process import free_port
from domain.reversals.reversal import ReversalRequest
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.errors import ProviderRejectedError, ProviderUnreachableError
from entrypoints.http.daraja_reversal_body import parse_reversal_result
from entrypoints.settings import SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET
from tests.simulator.harness import CallbackReceiver, Daraja
from tests.support.processes import Simulator

INITIATOR_NAME = "testapi"
INITIATOR_PASSWORD = "Safaricom999!*!"


SIMULATOR_ENVIRONMENT = {"SIM_BODY_FORMS": "published"}


@pytest.fixture
async def daraja(simulator: Simulator, receiver: tuple[CallbackReceiver, str]) -> AsyncIterator[Daraja]:
    async with httpx.AsyncClient(base_url=simulator.url, timeout=5) as http:
        yield Daraja(http, receiver[0], receiver[1])


async def paid_receipt(daraja: Daraja, amount: int) -> str:
    path = daraja.callback_path()
    assert (await daraja.push(path, amount=amount)).status_code == 200
    [callback] = await daraja.receiver.wait_for(path)
    items = callback["Body"]["stkCallback"]["CallbackMetadata"]["Item"]
    return str(next(item["Value"] for item in items if item["Name"] == "MpesaReceiptNumber"))


async def client_for(http: httpx.AsyncClient, base_url: str, hooks_url: str) -> DarajaReversalClient:
    certificate = (await http.get(f"{base_url}/simulator/certificate")).content
    settings = ReversalSettings(
        base_url=base_url,
        receiver_party="174379",
        initiator_name=INITIATOR_NAME,
        result_base_url=f"{hooks_url}/api/v1/hooks/reversal/result",
        timeout_base_url=f"{hooks_url}/api/v1/hooks/reversal/queue",
    )
    auth = DarajaTokenAuth(http, base_url, SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET)
    return DarajaReversalClient(http, auth, settings, security_credential(INITIATOR_PASSWORD, certificate))


def request(receipt: str, amount: int) -> ReversalRequest:
    return ReversalRequest(receipt, Amount(amount), Description("Customer paid twice"), uuid.uuid4().hex)


def requests_for(simulator: Simulator, receipt: str) -> int:
    counted: dict[str, dict[str, int]] = simulator.stats()["reversal_requests"]  # type: ignore[assignment]
    return counted["per_receipt"].get(receipt, 0)


async def test_a_reversal_is_accepted_sent_once_and_its_result_comes_to_its_own_url(
    http: httpx.AsyncClient, simulator: Simulator, daraja: Daraja, receiver: tuple[CallbackReceiver, str]
) -> None:
    app, receiver_url = receiver
    receipt = await paid_receipt(daraja, 275)
    client = await client_for(http, simulator.url, receiver_url)
    sent = request(receipt, 275)

    accepted = await client.send_reversal(sent)

    path = f"/api/v1/hooks/reversal/result/{sent.callback_token}"
    await app.wait_for(path)
    result = parse_reversal_result(app.bodies[path][0])
    assert accepted.conversation_id.startswith("AG_")
    assert (result.result_code, result.conversation_id) == ("0", accepted.conversation_id)
    assert (result.original_transaction_id, result.amount) == (receipt, 275)
    assert requests_for(simulator, receipt) == 1


async def test_a_receipt_daraja_refuses_outright_is_a_rejection(
    http: httpx.AsyncClient, simulator: Simulator, receiver: tuple[CallbackReceiver, str]
) -> None:
    client = await client_for(http, simulator.url, receiver[1])

    with pytest.raises(ProviderRejectedError) as refused:
        await client.send_reversal(request("X" * 30, 100))

    assert refused.value.provider_code == "400.002.02"


async def test_nothing_listening_is_unreachable(http: httpx.AsyncClient) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    unreachable = DarajaReversalClient(
        http,
        DarajaTokenAuth(http, nowhere, SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET),
        ReversalSettings(nowhere, "174379", INITIATOR_NAME, "http://h/r", "http://h/q"),
        "credential",
    )

    with pytest.raises(ProviderUnreachableError):
        await unreachable.send_reversal(request("SKC82PACB8", 100))


async def test_a_c2b_payment_is_reversed_for_the_shortcode_it_was_paid_to(
    http: httpx.AsyncClient, simulator: Simulator, receiver: tuple[CallbackReceiver, str]
) -> None:
    app, receiver_url = receiver
    paid = await http.post(
        f"{simulator.url}/simulator/c2b/pay", json={"account": "INV-9", "amount": 80, "shortcode": "600984"}
    )
    trans_id = paid.json()["trans_id"]
    client = await client_for(http, simulator.url, receiver_url)
    sent = ReversalRequest(trans_id, Amount(80), Description("Wrong account"), uuid.uuid4().hex, "600984")

    await client.send_reversal(sent)

    path = f"/api/v1/hooks/reversal/result/{sent.callback_token}"
    await app.wait_for(path)
    result = json.loads(app.bodies[path][0])["Result"]
    parameters = {item["Key"]: item["Value"] for item in result["ResultParameters"]["ResultParameter"]}
    assert (result["ResultCode"], parameters["OriginalTransactionID"]) == (0, trans_id)
    assert parameters["DebitPartyPublicName"].startswith("600984 ")  # not the configured 174379
