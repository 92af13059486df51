"""The Litestar application: routes, the bridge from the container to Litestar's DI, and the lifecycle as lifespan."""

from collections.abc import Callable
from typing import Any

import structlog
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components

from entrypoints.bootstrap.containers import ApplicationContainer
from entrypoints.bootstrap.lifecycle import Lifecycle
from entrypoints.http.api_key_guard import API_KEY_SCHEME, API_KEY_SECURITY_SCHEME, SERVER_CREDENTIALS_STATE
from entrypoints.http.b2c_controller import B2cWithdrawController
from entrypoints.http.balances_controller import BalancesController
from entrypoints.http.c2b_controller import C2bController
from entrypoints.http.c2b_hooks import C2bHooksController
from entrypoints.http.callback_controller import DarajaCallbackController
from entrypoints.http.demo import demo_routes
from entrypoints.http.error_responses import EXCEPTION_HANDLERS
from entrypoints.http.event_feed_controller import EventFeedController
from entrypoints.http.health import health
from entrypoints.http.metrics_endpoint import metrics
from entrypoints.http.operator_controller import OperatorController
from entrypoints.http.readiness import ready
from entrypoints.http.records_controller import RecordsController
from entrypoints.http.request_context import request_context
from entrypoints.http.reversal_controller import ReversalController
from entrypoints.http.root import root_route
from entrypoints.http.schema_viewer import SCHEMA_PATH, schema_viewer, schema_viewer_assets
from entrypoints.http.security_headers import strict_transport_security, transport_security
from entrypoints.http.simulator_controller import simulator_routes
from entrypoints.http.stk_controller import StkPushController
from entrypoints.http.webhook_controller import WebhookController
from entrypoints.settings import MpesaEnvironment
from entrypoints.ws.b2c_listener import b2c_socket
from entrypoints.ws.c2b_listener import c2b_socket
from entrypoints.ws.stk_listener import stk_socket

logger = structlog.get_logger()

# Providers handlers may ask for by name. dependency-injector builds them; Litestar only sees plain callables.
_BRIDGED = (
    "stk.push_payment",
    "stk.prompt_gate",
    "stk.payment_status",
    "stk.handle_stk_callback",
    "b2c.request_withdrawal",
    "b2c.handle_b2c_result",
    "events.channels",
    "sockets.socket_limits",
    "access.client_authorisation",
    "records.readiness_checks",
    "infrastructure.gateway_metrics",
    "callbacks.journal_callback",
    "stk.stk_callback_token_known",
    "b2c.b2c_callback_token_known",
    "b2c.status_callback_token_known",
    "callbacks.callback_sources",
    "records.list_anomalies",
    "records.list_stuck_records",
    "access.operator_token",
    "b2c.handle_transaction_status_result",
    "records.find_record",
    "records.list_records",
    "events.read_event_feed",
    "events.register_webhook",
    "events.webhook_details",
    "events.remove_webhook",
    "events.enable_webhook",
    "events.replay_events",
    "events.list_deliveries",
    "balances.handle_balance_result",
    "balances.balance_callback_token_known",
    "balances.check_balance",
    "balances.show_balances",
    "c2b.c2b_hook_secret",
    "c2b.confirm_payment",
    "c2b.validate_payment",
    "c2b.create_payment_request",
    "c2b.draw_request_qr",
    "c2b.find_c2b_payments",
    "c2b.c2b_payment_by_trans_id",
    "c2b.register_c2b_urls",
    "c2b.simulated_customer_pays",
    "reversals.request_reversal",
    "reversals.show_reversal",
    "reversals.handle_reversal_result",
    "reversals.reversal_callback_token_known",
    "reversals.handle_reversal_status",
    "reversals.reversal_status_token_known",
    "sockets.socket_use_cases",
)


def _dependencies(container: ApplicationContainer) -> dict[str, Provide]:
    def bridge(provider: Callable[[], Any]) -> Provide:
        def provide() -> Any:
            return provider()

        return Provide(provide, sync_to_thread=False, use_cache=False)

    def provider_at(path: str) -> Callable[[], Any]:
        capability, name = path.split(".")
        return getattr(getattr(container, capability), name)  # type: ignore[no-any-return]

    return {path.split(".")[1]: bridge(provider_at(path)) for path in _BRIDGED}


def create_app(container: ApplicationContainer) -> Litestar:
    settings = container.settings()

    return Litestar(
        route_handlers=[
            stk_socket,
            b2c_socket,
            c2b_socket,
            StkPushController,
            B2cWithdrawController,
            RecordsController,
            BalancesController,
            C2bController,
            ReversalController,
            DarajaCallbackController,
            C2bHooksController,
            OperatorController,
            EventFeedController,
            WebhookController,
            health,
            ready,
            metrics,
            root_route(demo=settings.mpesa_env is MpesaEnvironment.SIMULATOR),
            schema_viewer_assets(),
            *demo_routes(
                enabled=settings.mpesa_env is MpesaEnvironment.SIMULATOR, paybill=settings.registered_c2b_shortcode()
            ),
            *simulator_routes(enabled=settings.mpesa_env is MpesaEnvironment.SIMULATOR),
        ],
        dependencies=_dependencies(container),
        # For the API-key guard, which any controller may use without wiring of its own; built on first use.
        state=State({SERVER_CREDENTIALS_STATE: container.access.server_credentials}),
        plugins=[container.events.channels()],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        # The stores, clients and background loops: started before the first request, stopped after the last.
        lifespan=[Lifecycle(container, background=settings.worker_enabled, requests=True).lifespan],
        openapi_config=OpenAPIConfig(
            title="mpesa-gateway",
            version="0.1.0",
            path=SCHEMA_PATH,
            render_plugins=[schema_viewer()],
            components=Components(security_schemes={API_KEY_SCHEME: API_KEY_SECURITY_SCHEME}),
        ),
        logging_config=None,
        middleware=[request_context, *transport_security(settings)],
        before_send=strict_transport_security(settings),
    )
