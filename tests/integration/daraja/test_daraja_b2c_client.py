"""The B2C adapter against the bundled simulator over real HTTP, with a real receiver for its Results."""

import dataclasses
import uuid

import httpx
import pytest
from structlog.testing import capture_logs

from adapters.daraja.b2c_client import DarajaB2cClient
from adapters.daraja.b2c_settings import B2cSettings
from adapters.daraja.security_credential import bundled_certificate, security_credential
from adapters.daraja.token_auth import DarajaTokenAuth
from adapters.local_process import free_port
from domain.b2c.withdrawal import B2cRequest
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.errors import (
    DuplicatePayoutError,
    ProviderOutcomeUnknownError,
    ProviderRejectedError,
    ProviderUnreachableError,
)
from domain.shared.phone import Phone
from entrypoints.settings import SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET
from tests.simulator.harness import CallbackReceiver
from tests.support.phones import fresh_phone
from tests.support.processes import Simulator

INITIATOR_NAME = "testapi"
INITIATOR_PASSWORD = "Safaricom999!*!"
B2C_SHORTCODE = "600996"


SIMULATOR_ENVIRONMENT = {"SIM_SLOW_SECONDS": "1.0"}


@pytest.fixture(scope="module")
def credential(simulator: Simulator) -> str:
    certificate = httpx.get(f"{simulator.url}/simulator/certificate", timeout=5)
    certificate.raise_for_status()
    return security_credential(INITIATOR_PASSWORD, certificate.content)


def settings_for(base_url: str, hooks_url: str = "http://127.0.0.1:9", **overrides: str) -> B2cSettings:
    values = {
        "base_url": base_url,
        "shortcode": B2C_SHORTCODE,
        "initiator_name": INITIATOR_NAME,
        "result_base_url": f"{hooks_url}/api/v1/hooks/b2c/result",
        "timeout_base_url": f"{hooks_url}/api/v1/hooks/b2c/timeout",
        **overrides,
    }
    return B2cSettings(**values)


def client_for(http: httpx.AsyncClient, settings: B2cSettings, credential: str) -> DarajaB2cClient:
    auth = DarajaTokenAuth(http, settings.base_url, SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET)
    return DarajaB2cClient(http, auth, settings, credential)


def payout_request(amount: int = 100, description: str = "Withdrawal to wallet") -> B2cRequest:
    return B2cRequest(
        str(uuid.uuid4()), Phone.parse(fresh_phone()), Amount(amount), Description(description), uuid.uuid4().hex
    )


def requests_for(simulator: Simulator, originator_conversation_id: str) -> int:
    requests: dict[str, dict[str, int]] = simulator.stats()["b2c_payment_requests"]  # type: ignore[assignment]
    return requests["per_originator_conversation_id"].get(originator_conversation_id, 0)


async def test_an_accepted_payout_returns_darajas_ids_and_is_sent_once(
    http: httpx.AsyncClient, simulator: Simulator, credential: str
) -> None:
    client = client_for(http, settings_for(simulator.url), credential)
    request = payout_request()

    accepted = await client.send_b2c(request)

    assert accepted.conversation_id.startswith("AG_")
    assert accepted.originator_conversation_id == request.originator_conversation_id
    assert requests_for(simulator, request.originator_conversation_id) == 1


async def test_a_merchant_reference_of_a_hundred_characters_goes_as_the_occasion(
    http: httpx.AsyncClient, simulator: Simulator, credential: str
) -> None:
    client = client_for(http, settings_for(simulator.url), credential)
    request = dataclasses.replace(payout_request(), occasion="Refund 1042 " + "x" * 88)

    accepted = await client.send_b2c(request)

    assert accepted.originator_conversation_id == request.originator_conversation_id
    assert requests_for(simulator, request.originator_conversation_id) == 1


async def test_the_result_arrives_on_the_withdrawals_own_url_and_the_credential_is_accepted(
    http: httpx.AsyncClient, simulator: Simulator, credential: str, receiver: tuple[CallbackReceiver, str]
) -> None:
    app, receiver_url = receiver
    client = client_for(http, settings_for(simulator.url, receiver_url), credential)
    request = payout_request()

    accepted = await client.send_b2c(request)

    [result] = await app.wait_for(f"/api/v1/hooks/b2c/result/{request.callback_token}")
    assert result["Result"]["ResultCode"] == 0  # 2001 if the simulator could not decrypt the initiator password
    assert result["Result"]["ConversationID"] == accepted.conversation_id


async def test_a_credential_for_another_certificate_is_accepted_then_fails_as_invalid_initiator(
    http: httpx.AsyncClient, simulator: Simulator, receiver: tuple[CallbackReceiver, str]
) -> None:
    app, receiver_url = receiver
    wrong = security_credential(INITIATOR_PASSWORD, bundled_certificate("sandbox"))
    client = client_for(http, settings_for(simulator.url, receiver_url), wrong)
    request = payout_request()

    await client.send_b2c(request)

    [result] = await app.wait_for(f"/api/v1/hooks/b2c/result/{request.callback_token}")
    assert result["Result"]["ResultCode"] == 2001


async def test_the_same_originator_conversation_id_twice_is_a_duplicate_payout(
    http: httpx.AsyncClient, simulator: Simulator, credential: str
) -> None:
    client = client_for(http, settings_for(simulator.url), credential)
    request = payout_request()
    await client.send_b2c(request)

    with pytest.raises(DuplicatePayoutError):
        await client.send_b2c(request)

    assert requests_for(simulator, request.originator_conversation_id) == 2


async def test_a_token_that_expires_mid_flight_is_refreshed_and_the_payout_retried_once(
    http: httpx.AsyncClient, simulator: Simulator, credential: str
) -> None:
    client = client_for(http, settings_for(simulator.url), credential)
    await client.send_b2c(payout_request())
    tokens_before = simulator.stats()["oauth_tokens_issued"]
    (await http.post(f"{simulator.url}/simulator/tokens/expire")).raise_for_status()
    request = payout_request()

    accepted = await client.send_b2c(request)

    assert accepted.conversation_id.startswith("AG_")
    assert requests_for(simulator, request.originator_conversation_id) == 1
    assert simulator.stats()["oauth_tokens_issued"] == tokens_before + 1  # type: ignore[operator]


async def test_darajas_internal_error_leaves_the_outcome_unknown(
    http: httpx.AsyncClient, simulator: Simulator, credential: str
) -> None:
    client = client_for(http, settings_for(simulator.url), credential)

    with pytest.raises(ProviderOutcomeUnknownError):
        await client.send_b2c(payout_request(amount=9500))


async def test_an_answer_slower_than_the_read_timeout_leaves_the_outcome_unknown(
    simulator: Simulator, credential: str
) -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.3, connect=2.0)) as impatient:
        client = client_for(impatient, settings_for(simulator.url), credential)
        await client.send_b2c(payout_request())  # the token is fetched in time
        request = payout_request(amount=9300)

        with pytest.raises(ProviderOutcomeUnknownError):
            await client.send_b2c(request)

    assert requests_for(simulator, request.originator_conversation_id) == 1


async def test_nothing_listening_is_unreachable(http: httpx.AsyncClient, credential: str) -> None:
    client = client_for(http, settings_for(f"http://127.0.0.1:{free_port()}"), credential)

    with pytest.raises(ProviderUnreachableError):
        await client.send_b2c(payout_request())


async def test_a_command_daraja_does_not_know_is_a_rejection(
    http: httpx.AsyncClient, simulator: Simulator, credential: str
) -> None:
    client = client_for(http, settings_for(simulator.url, command_id="GiveMoneyAway"), credential)

    with pytest.raises(ProviderRejectedError) as refusal:
        await client.send_b2c(payout_request())

    assert refusal.value.provider_code == "400.002.02"
    assert "CommandID" in refusal.value.provider_message


async def test_a_one_character_description_still_meets_darajas_remarks_minimum(
    http: httpx.AsyncClient, simulator: Simulator, credential: str
) -> None:
    client = client_for(http, settings_for(simulator.url), credential)

    accepted = await client.send_b2c(payout_request(description="x"))

    assert accepted.conversation_id.startswith("AG_")


async def test_the_security_credential_is_neither_logged_nor_shown(
    http: httpx.AsyncClient, simulator: Simulator, credential: str
) -> None:
    client = client_for(http, settings_for(simulator.url), credential)

    with capture_logs() as logs:
        await client.send_b2c(payout_request())

    assert logs, "the call is logged"
    assert credential not in repr(logs)
    assert credential not in repr(client)
    assert INITIATOR_PASSWORD not in repr(logs)
