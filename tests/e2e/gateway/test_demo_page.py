"""The demo page in a real browser: Debian's headless Chromium pays and withdraws through the page.

Playwright drives /usr/bin/chromium (installed with apt-get when it is missing; never a downloaded browser).
Screenshots land in test-artifacts/ so a person can see what the page showed.
"""

import json
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, WebSocket, expect, sync_playwright

from adapters.mongo.embedded_server import EmbeddedMongo
from daraja_simulator.scenarios import SCENARIOS, Api
from domain.stk.result_codes import stk_result_meaning
from entrypoints.http.demo import scenario_options
from entrypoints.protocol import asyncapi
from tests.support.gateway_settings import DATABASE
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, start_gateway

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[3] / "test-artifacts"
# Playwright gives the browser a fresh profile of its own (its --user-data-dir) and runs it headless.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--ignore-certificate-errors",  # the gateway's self-signed development certificate
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SETTLES_WITHIN_MS = 20_000
# A Daraja receipt: ten capitals and digits (the simulator makes them the same way).
RECEIPT = re.compile(r"^[A-Z0-9]{10}$")
DEMO_C2B_HOOK_SECRET = "simulator-demo-c2b-hook-secret-0123456789"
# What the AsyncAPI document says each endpoint's frames are, by direction.
DOCUMENTED: dict[tuple[str, str], tuple[type[msgspec.Struct], ...]] = {
    ("stk", "sent"): (asyncapi.PushRequest, asyncapi.StatusRequest),
    ("stk", "received"): (
        asyncapi.PushReply,
        asyncapi.StatusReply,
        asyncapi.StkErrorReply,
        asyncapi.PaymentUpdate,
        asyncapi.PaymentsCaughtUp,
    ),
    ("b2c", "sent"): (asyncapi.WithdrawRequest,),
    ("b2c", "received"): (
        asyncapi.WithdrawReply,
        asyncapi.B2cErrorReply,
        asyncapi.WithdrawalUpdate,
        asyncapi.WithdrawalsCaughtUp,
    ),
    # Listen-only: the Paybill tab sends nothing on its socket.
    ("c2b", "received"): (asyncapi.C2bRequestUpdate, asyncapi.C2bPaymentUpdate),
}


def _install_chromium() -> None:
    """Debian's chromium, as root (the test machine's user); `apt-get update` first only if the lists are stale."""
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "chromium"]
    if subprocess.run(install, env=environment, capture_output=True, check=False, timeout=900).returncode != 0:
        subprocess.run(["apt-get", "update"], env=environment, capture_output=True, check=True, timeout=300)
        subprocess.run(install, env=environment, capture_output=True, check=True, timeout=900)


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        _install_chromium()
    assert CHROMIUM.exists(), "apt-get install chromium did not provide /usr/bin/chromium"
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def demo_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MPESA_ENV="simulator",
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
        STK_ONE_PENDING_PER_PHONE="true",  # as `make run` serves the page: one open prompt per phone
        C2B_HOOK_SECRET=DEMO_C2B_HOOK_SECRET,  # as `make run` sets it in simulator mode, for the Paybill tab
    )
    yield gateway
    gateway.process.stop()


@pytest.fixture
def page(browser: Browser, demo_gateway: Gateway) -> Iterator[Page]:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, ignore_https_errors=True
    )
    page = context.new_page()
    problems: list[str] = []
    frames: list[tuple[str, str, str | bytes]] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: _console_problem(message, problems))
    page.on("websocket", lambda socket: _record_frames(socket, frames))
    page.goto(f"{demo_gateway.https}/demo")
    yield page
    context.close()
    # A script error or a blocked request (the Content-Security-Policy reports to the console) fails the test.
    assert problems == []
    # Every frame the page and the gateway exchanged is one the AsyncAPI document describes.
    assert {(endpoint, direction) for endpoint, direction, _ in frames} == set(DOCUMENTED)
    for endpoint, direction, frame in frames:
        assert _documented(frame, DOCUMENTED[endpoint, direction]), (endpoint, direction, frame)
    # The page resumes by cursor (`?after=`), so each socket is told where its catch-up ended.
    caught_up = {endpoint for endpoint, _, frame in frames if isinstance(frame, str) and '"kind":"caught_up"' in frame}
    assert caught_up == {"stk", "b2c"}


def _record_frames(socket: WebSocket, frames: list[tuple[str, str, str | bytes]]) -> None:
    endpoint = "b2c" if "/mpesa/b2c/" in socket.url else "c2b" if "/mpesa/c2b/" in socket.url else "stk"
    socket.on("framesent", lambda payload: frames.append((endpoint, "sent", payload)))
    socket.on("framereceived", lambda payload: frames.append((endpoint, "received", payload)))


def _documented(frame: str | bytes, shapes: tuple[type[msgspec.Struct], ...]) -> bool:
    for shape in shapes:
        try:
            msgspec.json.decode(frame, type=shape)
        except msgspec.ValidationError:
            continue
        return True
    return False


def _console_problem(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type == "error":
        problems.append(f"console: {message.text}")


def _screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the tabs are sticky: from the top, they are where a person sees them
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def _scenario_names(api: Api) -> list[str]:
    return [row.name for row in SCENARIOS if row.api is api]


def test_the_page_is_served_with_the_simulators_scenarios(demo_gateway: Gateway) -> None:
    with demo_gateway.http() as client:
        page = client.get("/demo")
        scenarios = client.get("/demo/scenarios.json")

    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert scenarios.json() == {**scenario_options(), "paybill": "600984"}
    assert [row["name"] for row in scenarios.json()["stk"]] == _scenario_names(Api.STK_PUSH)
    assert [row["name"] for row in scenarios.json()["b2c"]] == _scenario_names(Api.B2C)


def test_the_root_leads_to_the_demo_and_head_answers_where_get_does(demo_gateway: Gateway) -> None:
    with demo_gateway.http() as client:
        root = client.get("/", follow_redirects=False)
        page = client.head("/demo")
        health = client.head("/health")

    assert (root.status_code, root.headers["location"]) == (302, "/demo")
    assert (page.status_code, page.headers["content-type"], page.content) == (200, "text/html; charset=utf-8", b"")
    assert int(page.headers["content-length"]) > 0  # what GET would send, without sending it
    assert (health.status_code, health.content) == (200, b"")
    log = demo_gateway.process.log_file.read_text().splitlines()
    starting = json.loads(next(line for line in log if "gateway_starting" in line))
    assert starting["demo_url"] == f"{demo_gateway.https}/demo"
    assert starting["schema_url"] == f"{demo_gateway.https}/schema"


def test_the_schema_browser_loads_nothing_from_elsewhere(demo_gateway: Gateway) -> None:
    with demo_gateway.http() as client:
        viewer = client.get("/schema")
        loaded = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", viewer.text)
        assets = {url: client.get(url) for url in loaded}

    assert viewer.status_code == 200 and "swagger" in viewer.text.lower()
    assert loaded and all(url.startswith("/schema/") for url in loaded), loaded
    assert {url: response.status_code for url, response in assets.items()} == dict.fromkeys(loaded, 200)


def test_a_person_pays_and_withdraws_on_a_phone(page: Page) -> None:
    stk = page.locator("#panel-stk")
    expect(stk.locator(".connection")).to_have_attribute("data-state", "open")
    picker = stk.locator("select[name=scenario]")
    assert [text.split(" (")[0] for text in picker.locator("option").all_inner_texts()] == _scenario_names(Api.STK_PUSH)

    # A payment that succeeds: the live timeline goes from pending to success, with the receipt.
    stk.locator("input[name=phone]").fill(fresh_phone())
    stk.locator("input[name=amount]").fill("100")
    stk.locator("input[name=description]").fill("Demo lunch")
    stk.get_by_role("button", name="Pay KES 100").click()
    paid = stk.locator(".payment").first
    expect(paid).to_have_attribute("data-status", "success", timeout=SETTLES_WITHIN_MS)
    expect(paid.locator(".receipt")).to_have_text(RECEIPT)
    expect(paid.locator(".who")).to_contain_text("Demo lunch")
    mpesa_time = paid.locator("dt:text-is('M-PESA time') + dd")
    expect(mpesa_time).to_contain_text(str(datetime.now(UTC).year))
    expect(mpesa_time).not_to_have_text(re.compile(r"^\d{14}$"))  # Daraja's raw form, read as the local time
    timeline = paid.locator(".timeline .what")
    expect(timeline.first).to_have_text("Push sent")
    expect(timeline.filter(has_text="Accepted")).to_have_count(1)
    expect(timeline.filter(has_text="Update: pending")).to_have_count(1)
    expect(timeline.filter(has_text="Update: success")).to_have_count(1)
    paid = stk.locator(f'.payment[data-id="{paid.get_attribute("data-id")}"]')  # newer payments go on top

    # The picker chooses the simulator's outcome: a wrong PIN ends the payment failed, with M-PESA's meaning.
    picker.select_option(label="wrong PIN (KES 2001)")
    expect(stk.locator("input[name=amount]")).to_have_value("2001")
    expect(stk.locator(".scenario-hint")).to_contain_text("wrong PIN")
    stk.locator("input[name=phone]").fill(fresh_phone())
    stk.get_by_role("button", name="Pay KES 2001").click()
    failed = stk.locator(".payment").first
    expect(failed).to_have_attribute("data-status", "failed", timeout=SETTLES_WITHIN_MS)
    expect(failed.locator(".outcome")).to_have_text(stk_result_meaning("2001").message)

    # Daraja failing leaves a payment whose outcome is unknown: it is not shown as waiting for the customer.
    picker.select_option(label="Daraja fails (KES 9500)")
    stk.locator("input[name=phone]").fill(fresh_phone())
    stk.get_by_role("button", name="Pay KES 9500").click()
    unknown = stk.locator(".payment").first
    expect(unknown).to_have_attribute("data-status", "unknown", timeout=SETTLES_WITHIN_MS)
    expect(unknown.locator(".outcome")).to_contain_text("Outcome unknown")

    # A phone with a prompt still open is refused, and the page says how long to wait.
    busy_phone = fresh_phone()
    picker.select_option(label="callback lost (KES 9100)")
    stk.locator("input[name=phone]").fill(busy_phone)
    stk.get_by_role("button", name="Pay KES 9100").click()
    expect(stk.locator(".payment").first).to_have_attribute("data-status", "pending", timeout=SETTLES_WITHIN_MS)
    stk.get_by_role("button", name="Pay KES 9100").click()
    busy = stk.locator(".payment").first
    expect(busy).to_have_attribute("data-status", "refused", timeout=SETTLES_WITHIN_MS)
    expect(busy.locator(".outcome")).to_contain_text(re.compile(r"RATE_LIMITED: .* Try again in \d+ s\."))

    # Bad input is refused by code, and names the field.
    stk.locator("input[name=phone]").fill("12345")
    stk.locator("input[name=amount]").fill("50")
    stk.get_by_role("button", name="Pay KES 50").click()
    refused = stk.locator(".payment").first
    expect(refused).to_have_attribute("data-status", "refused")
    expect(refused.locator(".timeline")).to_contain_text("Refused: VALIDATION_ERROR")
    expect(refused.locator(".timeline")).to_contain_text("phone")
    expect(refused.get_by_role("button", name="Ask status")).to_be_hidden()

    # Asking for the stored state answers with the same payment.
    paid.get_by_role("button", name="Ask status").click()
    expect(paid.locator(".timeline .what").filter(has_text="Status: success")).to_have_count(1)
    expect(failed.get_by_role("button", name="Reverse")).to_be_hidden()  # only a completed payment is refunded

    # A refund: the whole payment reversed through the server API; the payment's own update says so.
    paid.get_by_role("button", name="Reverse").click()
    expect(paid.locator(".timeline .what").filter(has_text="Reversal asked for")).to_have_count(1)
    expect(paid.locator(".timeline .what").filter(has_text="Reversal recorded: requested")).to_have_count(1)
    expect(paid.locator("dt:text-is('Reversed') + dd")).to_have_text(re.compile(r".+"), timeout=SETTLES_WITHIN_MS)
    expect(paid.get_by_role("button", name="Reverse")).to_be_hidden()
    _screenshot(page, "demo-pay-phone.png")

    # The second tab withdraws on the B2C socket: queued, submitted, then paid with a receipt and a name.
    page.get_by_role("tab", name="Withdraw").click()
    b2c = page.locator("#panel-b2c")
    expect(b2c).to_be_visible()
    expect(stk).to_be_hidden()
    expect(b2c.locator(".connection")).to_have_attribute("data-state", "open")
    names = b2c.locator("select[name=scenario] option").all_inner_texts()
    assert [text.split(" (")[0] for text in names] == _scenario_names(Api.B2C)
    b2c.locator("input[name=phone]").fill(fresh_phone())
    b2c.locator("input[name=amount]").fill("750")
    b2c.get_by_role("button", name="Withdraw KES 750").click()
    withdrawal = b2c.locator(".payment").first
    expect(withdrawal).to_have_attribute("data-status", "success", timeout=SETTLES_WITHIN_MS)
    expect(withdrawal.locator(".receipt")).to_have_text(RECEIPT)
    expect(withdrawal.locator(".facts")).to_contain_text("Paid to")
    steps = withdrawal.locator(".timeline .what")
    expect(steps.first).to_have_text("Withdrawal sent")
    expect(steps.filter(has_text="Accepted: queued")).to_have_count(1)
    expect(steps.filter(has_text="Update: submitted")).to_have_count(1)
    expect(steps.filter(has_text="Update: success")).to_have_count(1)
    _screenshot(page, "demo-withdraw-phone.png")
    _screenshot(page, "demo-withdraw-phone-screen.png", full_page=False)  # what fits on the phone's screen

    # The third tab expects a Paybill payment: the request, its QR code, the simulated customer paying, live.
    page.get_by_role("tab", name="Paybill").click()
    c2b = page.locator("#panel-c2b")
    expect(c2b.locator(".connection")).to_have_attribute("data-state", "open")
    c2b.locator("input[name=amount]").fill("320")
    c2b.get_by_role("button", name="Create the request").click()
    request = c2b.locator(".payment").first
    expect(request).to_have_attribute("data-status", "pending", timeout=SETTLES_WITHIN_MS)
    expect(request.locator(".outcome")).to_contain_text("Paybill 600984")
    expect(request.locator("img.qr")).to_be_visible(timeout=SETTLES_WITHIN_MS)
    request.get_by_role("button", name="Customer pays").click()
    expect(request).to_have_attribute("data-status", "paid", timeout=SETTLES_WITHIN_MS)
    expect(request.locator(".timeline .what").filter(has_text="Paid KES 320")).to_have_count(1)
    expect(request.get_by_role("button", name="Customer pays")).to_be_hidden()
    expect(request.locator("img.qr")).to_be_hidden()  # a paid request's QR would pay for nothing
    _screenshot(page, "demo-paybill-phone.png")

    # The same page on a desktop screen.
    page.set_viewport_size(DESKTOP)
    page.get_by_role("tab", name="Pay STK push").click()
    _screenshot(page, "demo-pay-desktop.png")

    # The browser keeps its hash: a reload talks on the same topic.
    hash_shown = page.locator("#hash").inner_text()
    page.reload()
    expect(page.locator("#hash")).to_have_text(hash_shown)
    expect(page.locator("#panel-stk .connection")).to_have_attribute("data-state", "open")


def test_the_demo_is_absent_outside_simulator_mode(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> None:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MPESA_ENV="sandbox",
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
        DARAJA_CONSUMER_KEY="simulator-consumer-key",
        DARAJA_CONSUMER_SECRET="simulator-consumer-secret",
        DARAJA_SHORTCODE="174379",
        DARAJA_PASSKEY="not-used-by-this-test",
        B2C_INITIATOR_PASSWORD="not-used-by-this-test",
        CALLBACK_BASE_URL="https://gateway.example",
        CLIENT_TOKEN_KEYS="demo-test:" + "k" * 32,
        WORKER_ENABLED="false",
    )
    try:
        with gateway.http() as client:
            assert client.get("/health").status_code == 200
            assert client.get("/").json() == {
                "service": "mpesa-gateway",
                "health": "/health",
                "ready": "/ready",
                "schema": "/schema",
            }
            assert [client.get(path).status_code for path in ("/demo", "/demo/demo.js", "/demo/scenarios.json")] == [
                404,
                404,
                404,
            ]
            # Nor the simulator's reset of the per-phone prompt counts.
            assert client.post("/api/v1/simulator/prompt-counts/reset", json={}).status_code == 404
    finally:
        gateway.process.stop()
