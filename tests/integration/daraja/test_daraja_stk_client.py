"""The Daraja adapter against the bundled simulator over real HTTP."""

import asyncio

import httpx
import pytest

from adapters.daraja.settings import DarajaSettings
from adapters.daraja.stk_client import DarajaStkClient
from adapters.daraja.token_auth import DarajaTokenAuth
from adapters.local_process import free_port
from adapters.system.clock import SystemClock
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.errors import ProviderOutcomeUnknownError, ProviderRejectedError, ProviderUnreachableError
from domain.shared.phone import Phone
from domain.stk.payment import StkPushRequest
from entrypoints.settings import SANDBOX_PASSKEY, SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET
from tests.support.phones import fresh_phone
from tests.support.processes import Simulator

SIMULATOR_ENVIRONMENT = {"SIM_SLOW_SECONDS": "1.0"}


def settings_for(base_url: str, **overrides: str) -> DarajaSettings:
    values = {
        "base_url": base_url,
        "consumer_key": SIMULATOR_CONSUMER_KEY,
        "consumer_secret": SIMULATOR_CONSUMER_SECRET,
        "shortcode": "174379",
        "passkey": SANDBOX_PASSKEY,
        "transaction_type": "CustomerPayBillOnline",
        "callback_base_url": "http://127.0.0.1:9/api/v1/hooks/stk",
        **overrides,
    }
    return DarajaSettings(**values)


def client_for(http: httpx.AsyncClient, settings: DarajaSettings) -> DarajaStkClient:
    auth = DarajaTokenAuth(http, settings.base_url, settings.consumer_key, settings.consumer_secret)
    return DarajaStkClient(http, auth, settings, SystemClock())


def push_request(amount: int = 100, description: str = "Payment for services") -> StkPushRequest:
    return StkPushRequest(
        Phone.parse(fresh_phone()), Amount(amount), Description(description), "INV0001", "a1b2c3d4e5f6"
    )


async def test_an_accepted_push_returns_darajas_ids(http: httpx.AsyncClient, simulator: Simulator) -> None:
    client = client_for(http, settings_for(simulator.url))

    accepted = await client.start_stk_push(push_request(description="A description longer than Daraja's 13"))

    assert accepted.checkout.startswith("ws_CO_")
    assert accepted.merchant_request


async def test_a_merchant_reference_of_twelve_characters_is_darajas_account_reference(
    http: httpx.AsyncClient, simulator: Simulator
) -> None:
    client = client_for(http, settings_for(simulator.url))
    request = StkPushRequest(
        Phone.parse(fresh_phone()), Amount(100), Description("Order"), "INV-2026/042", "a1b2c3d4e5f6"
    )

    accepted = await client.start_stk_push(request)

    assert accepted.checkout.startswith("ws_CO_")


async def test_a_token_that_expires_mid_flight_is_refreshed_and_the_push_retried_once(
    http: httpx.AsyncClient, simulator: Simulator
) -> None:
    client = client_for(http, settings_for(simulator.url))
    await client.start_stk_push(push_request())
    pushes_before = simulator.stk_push_count()
    (await http.post(f"{simulator.url}/simulator/tokens/expire")).raise_for_status()

    accepted = await client.start_stk_push(push_request())

    assert accepted.checkout.startswith("ws_CO_")
    assert simulator.stk_push_count() == pushes_before + 1


async def test_concurrent_pushes_share_one_token(http: httpx.AsyncClient, simulator: Simulator) -> None:
    client = client_for(http, settings_for(simulator.url))
    tokens_before = simulator.stats()["oauth_tokens_issued"]

    results = await asyncio.gather(*(client.start_stk_push(push_request()) for _ in range(10)))

    assert len({result.checkout for result in results}) == 10
    assert simulator.stats()["oauth_tokens_issued"] == tokens_before + 1  # type: ignore[operator]


async def test_a_wrong_passkey_is_darajas_wrong_credentials_refusal(
    http: httpx.AsyncClient, simulator: Simulator
) -> None:
    client = client_for(http, settings_for(simulator.url, passkey="not-the-passkey"))

    with pytest.raises(ProviderRejectedError) as refusal:
        await client.start_stk_push(push_request())

    assert refusal.value.provider_code == "500.001.1001"
    assert refusal.value.provider_message == "Wrong credentials"


async def test_a_wrong_consumer_secret_is_refused_before_any_push(
    http: httpx.AsyncClient, simulator: Simulator
) -> None:
    client = client_for(http, settings_for(simulator.url, consumer_secret="wrong"))
    pushes_before = simulator.stk_push_count()

    with pytest.raises(ProviderRejectedError):
        await client.start_stk_push(push_request())

    assert simulator.stk_push_count() == pushes_before


async def test_nothing_listening_is_unreachable(http: httpx.AsyncClient) -> None:
    client = client_for(http, settings_for(f"http://127.0.0.1:{free_port()}"))

    with pytest.raises(ProviderUnreachableError):
        await client.start_stk_push(push_request())


async def test_an_answer_slower_than_the_read_timeout_leaves_the_outcome_unknown(simulator: Simulator) -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.3, connect=2.0)) as impatient:
        client = client_for(impatient, settings_for(simulator.url))
        await client.start_stk_push(push_request())  # the token is fetched in time

        with pytest.raises(ProviderOutcomeUnknownError):
            await client.start_stk_push(push_request(amount=9300))


async def test_darajas_internal_error_leaves_the_outcome_unknown(http: httpx.AsyncClient, simulator: Simulator) -> None:
    client = client_for(http, settings_for(simulator.url))

    with pytest.raises(ProviderOutcomeUnknownError):
        await client.start_stk_push(push_request(amount=9500))


async def test_a_callback_url_daraja_would_refuse_is_a_rejection(http: httpx.AsyncClient, simulator: Simulator) -> None:
    client = client_for(http, settings_for(simulator.url, callback_base_url="https://shop.example/mpesa/callback"))

    with pytest.raises(ProviderRejectedError) as refusal:
        await client.start_stk_push(push_request())

    assert refusal.value.provider_code == "400.002.02"
    assert "CallBackURL" in refusal.value.provider_message
