"""The C2B adapter against the bundled simulator over loopback: Register URL, Pull Transactions, Dynamic QR."""

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from adapters.daraja.c2b_client import DarajaC2bClient
from adapters.daraja.c2b_settings import C2bSettings
from adapters.daraja.token_auth import DarajaTokenAuth
from daraja_simulator.app import create_app
from daraja_simulator.state import SimulatorState
from domain.c2b.payer import PayerForm
from domain.c2b.provider import (
    DefaultAction,
    PullRegistration,
    PullUnavailableError,
    QrKind,
    QrRequest,
    UrlRegistration,
    UrlsAlreadyRegisteredError,
)
from domain.shared.errors import ProviderRejectedError
from entrypoints.settings import SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET
from tests.simulator.harness import TEST_CONFIG, CallbackReceiver, RunningServer, serve

SHORTCODE = "600984"


@dataclasses.dataclass
class Sim:
    url: str
    state: SimulatorState
    running: RunningServer


async def _start(**config: object) -> Sim:
    app = create_app(dataclasses.replace(TEST_CONFIG, **config))  # type: ignore[arg-type]
    running = await serve(app, lifespan="on")
    return Sim(running.url, app.state.simulator, running)


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[Sim]:
    sim = await _start()
    yield sim
    await sim.running.stop()


def client_for(http: httpx.AsyncClient, base_url: str, version: str = "v2") -> DarajaC2bClient:
    auth = DarajaTokenAuth(http, base_url, SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET)
    return DarajaC2bClient(http, auth, C2bSettings(base_url=base_url, register_version=version))


def registration(receiver_url: str, shortcode: str = SHORTCODE) -> UrlRegistration:
    secret = uuid.uuid4().hex
    return UrlRegistration(
        shortcode,
        DefaultAction.COMPLETED,
        f"{receiver_url}/api/v1/hooks/c2b/confirmation/{secret}",
        f"{receiver_url}/api/v1/hooks/c2b/validation/{secret}",
    )


async def test_registered_urls_receive_validation_then_confirmation(
    sandbox: Sim, receiver: tuple[CallbackReceiver, str], http: httpx.AsyncClient
) -> None:
    await http.post(f"{sandbox.url}/simulator/reset")
    urls = registration(receiver[1])
    await client_for(http, sandbox.url).register_urls(urls)

    paid = await http.post(f"{sandbox.url}/simulator/c2b/pay", json={"account": "inv 42", "amount": 150})

    assert paid.status_code == 200
    assert paid.json()["outcome"] == "completed"
    validation_path = urls.validation_url.removeprefix(receiver[1])
    confirmation_path = urls.confirmation_url.removeprefix(receiver[1])
    [validation] = await receiver[0].wait_for(validation_path)
    [confirmation] = await receiver[0].wait_for(confirmation_path)
    assert validation["OrgAccountBalance"] == ""
    assert confirmation["TransID"] == paid.json()["trans_id"]
    assert confirmation["TransAmount"] == "150.00"
    assert confirmation["BillRefNumber"] == "inv 42"
    assert confirmation["MSISDN"] == "2547 ***** 149"  # v2 registrations get the masked form


async def test_registering_again_in_the_sandbox_replaces_the_urls(
    sandbox: Sim, receiver: tuple[CallbackReceiver, str], http: httpx.AsyncClient
) -> None:
    await http.post(f"{sandbox.url}/simulator/reset")
    client = client_for(http, sandbox.url)
    await client.register_urls(registration(receiver[1]))
    second = registration(receiver[1])

    await client.register_urls(second)

    shown = (await http.get(f"{sandbox.url}/simulator/c2b/registrations")).json()["urls"][SHORTCODE]
    assert shown["confirmation_url"] == second.confirmation_url


async def test_a_second_registration_in_production_says_already_registered(
    receiver: tuple[CallbackReceiver, str], http: httpx.AsyncClient
) -> None:
    production = await _start(c2b_mode="production")
    try:
        client = client_for(http, production.url)
        await client.register_urls(registration(receiver[1]))

        with pytest.raises(UrlsAlreadyRegisteredError) as refused:
            await client.register_urls(registration(receiver[1]))
    finally:
        await production.running.stop()

    assert refused.value.provider_code == "500.003.1001"
    assert "URL Management" in refused.value.provider_message


async def test_a_product_version_mismatch_is_retried_once_on_the_other_version(
    receiver: tuple[CallbackReceiver, str], http: httpx.AsyncClient
) -> None:
    v1_only = await _start(c2b_product="v1")
    try:
        await client_for(http, v1_only.url, version="v2").register_urls(registration(receiver[1]))
        shown = (await http.get(f"{v1_only.url}/simulator/c2b/registrations")).json()["urls"][SHORTCODE]
    finally:
        await v1_only.running.stop()

    assert shown["version"] == "v1"


async def test_a_forbidden_word_in_a_url_is_refused(
    sandbox: Sim, receiver: tuple[CallbackReceiver, str], http: httpx.AsyncClient
) -> None:
    urls = dataclasses.replace(registration(receiver[1]), validation_url=f"{receiver[1]}/mpesa/validate")

    with pytest.raises(ProviderRejectedError) as refused:
        await client_for(http, sandbox.url).register_urls(urls)

    assert refused.value.provider_code == "400.002.02"


async def test_pull_lists_a_payment_whose_confirmation_was_lost(
    sandbox: Sim, receiver: tuple[CallbackReceiver, str], http: httpx.AsyncClient
) -> None:
    await http.post(f"{sandbox.url}/simulator/reset")
    client = client_for(http, sandbox.url)
    urls = registration(receiver[1])
    await client.register_urls(urls)
    pull = PullRegistration(SHORTCODE, "254708374149", f"{receiver[1]}/pull")
    assert await client.register_pull(pull) is True
    assert await client.register_pull(pull) is False
    lost = (
        await http.post(
            f"{sandbox.url}/simulator/c2b/pay",
            json={"account": "INV-7", "amount": 99, "scenario": "confirmation_lost"},
        )
    ).json()
    now = datetime.now(UTC)

    pulled = await client.pull_transactions(SHORTCODE, now - timedelta(hours=1), now + timedelta(minutes=1))

    assert [(t.trans_id, t.amount, t.bill_reference) for t in pulled] == [(lost["trans_id"], 99, "INV-7")]
    assert pulled[0].payer.form is PayerForm.MASKED
    assert receiver[0].bodies[urls.confirmation_url.removeprefix(receiver[1])] == []


async def test_pull_pages_through_every_payment(
    receiver: tuple[CallbackReceiver, str], http: httpx.AsyncClient
) -> None:
    small_pages = await _start(pull_page_size=2, c2b_validation=False)
    try:
        client = client_for(http, small_pages.url)
        await client.register_pull(PullRegistration(SHORTCODE, "254708374149", f"{receiver[1]}/pull"))
        for amount in (10, 20, 30, 40, 50):
            await http.post(f"{small_pages.url}/simulator/c2b/pay", json={"account": "A1", "amount": amount})
        now = datetime.now(UTC)

        pulled = await client.pull_transactions(SHORTCODE, now - timedelta(hours=1), now + timedelta(minutes=1))
        queries = small_pages.state.c2b.pull_queries
    finally:
        await small_pages.running.stop()

    assert sorted(t.amount for t in pulled) == [10, 20, 30, 40, 50]
    assert queries == 4  # 2 + 2 + 1 rows, then the empty page (1001) that ends it


async def test_pull_before_registration_is_refused(sandbox: Sim, http: httpx.AsyncClient) -> None:
    await http.post(f"{sandbox.url}/simulator/reset")
    now = datetime.now(UTC)

    with pytest.raises(PullUnavailableError):
        await client_for(http, sandbox.url).pull_transactions(SHORTCODE, now - timedelta(hours=1), now)


async def test_dynamic_qr_is_a_png_of_the_size_asked(sandbox: Sim, http: httpx.AsyncClient) -> None:
    request = QrRequest("TEST SHOP", "INV-0042", 250, QrKind.PAYBILL, SHORTCODE, 300)

    image = await client_for(http, sandbox.url).generate_qr(request)

    assert image.png.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(image.png[16:20], "big")
    assert 200 <= width <= 300
    assert image.request_id


async def test_a_qr_with_an_unknown_trx_code_is_refused(sandbox: Sim, http: httpx.AsyncClient) -> None:
    auth_client = client_for(http, sandbox.url)
    token = (
        await http.get(
            f"{sandbox.url}/oauth/v1/generate?grant_type=client_credentials",
            auth=(SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET),
        )
    ).json()["access_token"]

    answer = await http.post(
        f"{sandbox.url}/mpesa/qrcode/v1/generate",
        json={"MerchantName": "X", "RefNo": "R", "Amount": 1, "TrxCode": "XX", "CPI": "600984", "Size": "300"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert answer.status_code == 400
    assert answer.json()["errorMessage"] == "Bad Request - Invalid TrxCode"
    assert auth_client is not None
