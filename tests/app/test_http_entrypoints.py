"""What a merchant's server and an operator see over HTTP, from the app built in process."""

from dataclasses import replace
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ImproperlyConfiguredException
from litestar.routes import HTTPRoute, WebSocketRoute
from litestar.testing import AsyncTestClient

from entrypoints.app import _dependencies, check_wiring, create_app
from entrypoints.bootstrap.containers import ApplicationContainer
from entrypoints.bootstrap.lifecycle import Lifecycle
from entrypoints.http.callbacks import CALLBACK_ROUTES, _route_handler
from entrypoints.settings import MpesaEnvironment, Settings
from tests.app.conftest import DarajaAnswers
from tests.unit.fakes import FakePaymentProvider

Client = AsyncTestClient[Litestar]

PUSH = {"phone": "0712345678", "amount": 100, "description": "Order 7", "hash": "merchant-app-1"}


async def test_an_http_push_records_the_payment_and_answers_201_with_the_sockets_reply(
    client: Client, stk_daraja: FakePaymentProvider
) -> None:
    stk_daraja.will_accept("29115-34620561-1", "ws_CO_191220191020363925")

    pushed = await client.post("/api/v1/mpesa/stk/push", json=PUSH)

    assert pushed.status_code == 201, pushed.text
    reply = pushed.json()
    assert (reply["kind"], reply["ok"], reply["ref"]) == ("push", True, None)
    data = reply["data"]
    assert (data["status"], data["checkout"], data["merchant_request"]) == (
        "pending",
        "ws_CO_191220191020363925",
        "29115-34620561-1",
    )
    assert (data["phone"], data["amount"], data["description"]) == ("254712345678", 100, "Order 7")
    assert [(request.phone.msisdn, request.amount.shillings) for request in stk_daraja.requests] == [
        ("254712345678", 100)
    ]
    stored = await client.get(f"/api/v1/payments/{data['id']}")
    assert stored.status_code == 200, stored.text
    assert (stored.json()["kind"], stored.json()["hash"], stored.json()["data"]["checkout"]) == (
        "stk",
        "merchant-app-1",
        "ws_CO_191220191020363925",
    )


@pytest.mark.parametrize("path", ["/mpesa/stk/user123", "/mpesa/b2c/user456", "/mpesa/c2b/shop-9"])
async def test_a_plain_http_request_to_a_socket_path_is_refused_with_405(client: Client, path: str) -> None:
    answer = await client.get(path)

    assert answer.status_code == 405, answer.text
    assert answer.json()["ok"] is False


@pytest.mark.parametrize("path", ["/mpesa/stk", "/mpesa/stk/user123/more", "/mpesa/stkx/user123", "/mpesa/b2cc/a"])
async def test_a_path_beside_the_socket_paths_is_not_found(client: Client, path: str) -> None:
    answer = await client.get(path)

    assert answer.status_code == 404, answer.text


@pytest.mark.parametrize(
    "body",
    [
        {**PUSH, "amount": "100"},
        {key: value for key, value in PUSH.items() if key != "phone"},
        {**PUSH, "unexpected": True},
    ],
)
async def test_an_invalid_push_is_a_validation_error_and_daraja_is_not_called(
    client: Client, stk_daraja: FakePaymentProvider, body: dict[str, Any]
) -> None:
    refused = await client.post("/api/v1/mpesa/stk/push", json=body)

    assert (refused.status_code, refused.json()["ok"], refused.json()["error"]["code"]) == (
        400,
        False,
        "VALIDATION_ERROR",
    )
    assert stk_daraja.requests == []
    listed = await client.get("/api/v1/payments", params={"hash": PUSH["hash"]})
    assert listed.json()["data"] == []


@pytest.mark.parametrize("kind", ["reversal", "c2b", "STK"])
async def test_the_read_api_lists_only_payments_and_withdrawals_and_refuses_any_other_kind(
    client: Client, kind: str
) -> None:
    refused = await client.get("/api/v1/payments", params={"kind": kind})

    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


async def test_health_and_readiness_report_the_store_and_daraja(client: Client, daraja_health: DarajaAnswers) -> None:
    health = await client.get("/health")
    ready = await client.get("/ready")
    daraja_health.up = False
    unready = await client.get("/ready")

    assert health.status_code == 200
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "checks": {"store": "up", "daraja": "up"}})
    assert (unready.status_code, unready.json()) == (
        503,
        {"status": "not ready", "checks": {"store": "up", "daraja": "down"}},
    )


def test_a_handler_asking_for_a_dependency_nobody_provides_fails_when_the_app_is_built() -> None:
    @get("/typo", sync_to_thread=False)
    def handler(push_paymnt: NamedDependency[object]) -> None: ...

    provided = {"push_payment": Provide(lambda: None, sync_to_thread=False)}

    # Litestar refuses it as it builds the app; check_wiring would too.
    with pytest.raises(ImproperlyConfiguredException, match="push_paymnt"):
        check_wiring(Litestar(route_handlers=[handler], dependencies=provided), provided)


def test_a_callback_route_naming_a_reception_nobody_provides_fails_when_the_app_is_built(
    container: ApplicationContainer,
) -> None:
    misspelt = replace(CALLBACK_ROUTES[0], reception="stk_callback_receptoin")
    provided = _dependencies(container)

    # Litestar refuses it as it builds the app (the row's provider is a named dependency); check_wiring would too.
    with pytest.raises(ImproperlyConfiguredException, match="stk_callback_receptoin"):
        check_wiring(Litestar(route_handlers=[_route_handler(misspelt)], dependencies=provided), provided)


def test_a_provided_dependency_no_handler_asks_for_fails_when_the_app_is_built() -> None:
    @get("/ok", sync_to_thread=False)
    def handler(push_payment: NamedDependency[object]) -> None: ...

    provided = {
        "push_payment": Provide(lambda: None, sync_to_thread=False),
        "stale": Provide(lambda: None, sync_to_thread=False),
    }
    app = Litestar(route_handlers=[handler], dependencies=provided)

    with pytest.raises(ImproperlyConfiguredException, match=r"never asked for: \['stale'\]"):
        check_wiring(app, provided)


async def test_the_lifecycle_closes_what_it_opened_when_the_block_raises(container: ApplicationContainer) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with Lifecycle(container) as started:
            daraja_client = started.infrastructure.http_client()
            webhook_client = started.events.webhook_http_client()
            raise RuntimeError("boom")

    assert daraja_client.is_closed and webhook_client.is_closed


@pytest.mark.parametrize("environment", list(MpesaEnvironment))
def test_the_app_is_wired_exactly_in_every_environment(settings: Settings, environment: MpesaEnvironment) -> None:
    """The simulator's routes (and what only they ask for) are there in simulator mode alone; elsewhere, a provider
    only they ask for would be refused as never asked for, and the gateway would not start."""
    container = ApplicationContainer(settings=settings.model_copy(update={"mpesa_env": environment}))

    paths = {route.path for route in create_app(container).routes}

    assert ("/api/v1/simulator/c2b/pay" in paths) is (environment is MpesaEnvironment.SIMULATOR)


def test_every_route_on_a_payments_path_resolves_its_dependencies_one_at_a_time(
    container: ApplicationContainer,
) -> None:
    """Litestar resolves dependencies that sit side by side in an anyio task group, a task each (about 0.13 ms of CPU
    for seven: bench/dependency_batches.py), so a route a payment passes through asks for one object. The operator's
    routes (their bearer-token check beside their use case) and the simulator's are off that path."""
    side_by_side: dict[str, list[int]] = {}
    for route in create_app(container).routes:
        if isinstance(route, HTTPRoute):
            models = [kwargs for _, kwargs in route.route_handler_map.values()]
        elif isinstance(route, WebSocketRoute):
            models = [route.route_handler.create_kwargs_model(path_parameters=route.path_parameters)]
        else:
            continue
        batches = [len(batch) for model in models for batch in model.dependency_batches]
        if any(size > 1 for size in batches):
            side_by_side[route.path] = batches

    assert side_by_side  # the check sees routes that do ask for several, so it can fail
    assert all(path.startswith(("/api/v1/operator/", "/api/v1/simulator/")) for path in side_by_side), side_by_side
