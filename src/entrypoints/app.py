"""The Litestar application: routes, the handler-facing container wired into Litestar's DI (checked at build), and
the lifecycle as lifespan."""

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from dependency_injector import containers, providers
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Dependency, Provide
from litestar.exceptions import ImproperlyConfiguredException
from litestar.handlers import BaseRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components
from litestar.routes import HTTPRoute, WebSocketRoute
from litestar.types import ASGIApp
from litestar.utils.signature import ParsedSignature

from entrypoints.bootstrap.containers import ApplicationContainer
from entrypoints.bootstrap.lifecycle import Lifecycle
from entrypoints.head_requests import answer_head_like_get
from entrypoints.http.api_key_guard import API_KEY_SCHEME, API_KEY_SECURITY_SCHEME, SERVER_CREDENTIALS_STATE
from entrypoints.http.b2c import B2cWithdrawController
from entrypoints.http.balances import BalancesController
from entrypoints.http.c2b import C2bController
from entrypoints.http.c2b_hooks import C2bHooksController
from entrypoints.http.callbacks import DarajaCallbackController
from entrypoints.http.demo import demo_routes
from entrypoints.http.error_responses import EXCEPTION_HANDLERS
from entrypoints.http.event_feed import EventFeedController
from entrypoints.http.health import health
from entrypoints.http.metrics_endpoint import metrics
from entrypoints.http.operator import OperatorController
from entrypoints.http.readiness import ready
from entrypoints.http.records import RecordsController
from entrypoints.http.request_context import request_context
from entrypoints.http.reversals import ReversalController
from entrypoints.http.root import root_route
from entrypoints.http.schema_viewer import SCHEMA_PATH, schema_viewer, schema_viewer_assets
from entrypoints.http.security_headers import origin_allow_list, strict_transport_security
from entrypoints.http.simulator import simulator_routes
from entrypoints.http.stk import StkPushController
from entrypoints.http.webhooks import WebhookController
from entrypoints.settings import MpesaEnvironment
from entrypoints.ws.b2c import b2c_socket
from entrypoints.ws.c2b import c2b_socket
from entrypoints.ws.capability_socket import SOCKET_SERVICES_STATE
from entrypoints.ws.stk import stk_socket


def _dependencies(container: ApplicationContainer) -> dict[str, Provide]:
    """Litestar's dependencies: the providers of the handler-facing container, by their names; dependency-injector
    builds them, Litestar only sees plain callables."""

    def bridge(provider: Callable[[], Any]) -> Provide:
        def provide() -> Any:
            return provider()

        return Provide(provide, sync_to_thread=False, use_cache=False)

    handler_containers: list[containers.DeclarativeContainer] = [container.handlers()]
    if container.settings().mpesa_env is MpesaEnvironment.SIMULATOR:
        handler_containers.append(container.simulator_handlers())
    dependencies: dict[str, Provide] = {}
    for handlers in handler_containers:
        handlers.check_dependencies()  # an alias of a provider its capability does not have
        dependencies |= {
            name: bridge(provider)
            for name, provider in handlers.providers.items()
            if not isinstance(provider, providers.DependenciesContainer)
        }
    return dependencies


def _handlers(app: Litestar) -> Iterator[BaseRouteHandler]:
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            yield from route.route_handlers
        elif isinstance(route, WebSocketRoute):
            yield route.route_handler


def _parameters(signature: ParsedSignature) -> dict[str, bool]:
    """Each parameter's name, and whether it is marked as a named dependency."""
    return {
        name: any(isinstance(mark, Dependency) for mark in field.metadata)
        for name, field in signature.parameters.items()
    }


def check_wiring(app: Litestar, provided: Mapping[str, Provide]) -> None:
    """At build, not at the first request: every dependency a handler (or a handler's own dependency) asks for by
    name is provided, and every provided one is asked for."""
    missing: set[str] = set()
    asked: set[str] = set()
    for handler in _handlers(app):
        layered = handler.resolve_dependencies()
        signatures = [handler.parsed_fn_signature]
        signatures += [
            ParsedSignature.from_fn(layered[name].dependency, handler.resolve_signature_namespace())
            for name in layered
            if name not in provided
        ]
        for signature in signatures:
            for name, named in _parameters(signature).items():
                asked.add(name)
                if named and name not in layered:
                    missing.add(name)
    unused = set(provided) - asked
    if missing or unused:
        raise ImproperlyConfiguredException(
            f"handler dependencies: asked for but not provided: {sorted(missing)}; provided but never asked for: "
            f"{sorted(unused)} (entrypoints/bootstrap/handlers.py)"
        )


def create_app(container: ApplicationContainer) -> Litestar:
    settings = container.settings()

    dependencies = _dependencies(container)
    app = Litestar(
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
        dependencies=dependencies,
        # For the API-key guard and the socket routes, which read their services from here, without wiring of
        # their own; built on first use.
        state=State(
            {
                SERVER_CREDENTIALS_STATE: container.access.server_credentials,
                SOCKET_SERVICES_STATE: container.sockets.socket_services,
            }
        ),
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
    )
    check_wiring(app, dependencies)
    return app


def served_app(container: ApplicationContainer) -> ASGIApp:
    """The app as uvicorn serves it: the Litestar app inside plain ASGI layers (HEAD as GET, the request id, HSTS,
    the Origin allow-list), each a function that hands back the inner app's coroutine, so an idle socket keeps no
    frame of any (entrypoints.http.security_headers says why they are not Litestar middleware)."""
    settings = container.settings()
    app = origin_allow_list(create_app(container), settings)
    return answer_head_like_get(request_context(strict_transport_security(app, settings)))
