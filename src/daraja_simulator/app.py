"""The simulator as one Litestar app: Daraja's paths, plus test controls under /simulator/."""

import random
from typing import Any

import structlog
from litestar import Litestar, Request, Response
from litestar.di import Provide
from litestar.exceptions import MethodNotAllowedException, NotFoundException

from daraja_simulator.account_balance import account_balance
from daraja_simulator.balances import SimulatedBalances
from daraja_simulator.body_forms import BodyFormPicker
from daraja_simulator.c2b import register_v1, register_v2, simulate_v1, simulate_v2
from daraja_simulator.c2b_control import C2B_CONTROL_HANDLERS
from daraja_simulator.callbacks import CallbackSender
from daraja_simulator.config import SimulatorConfig
from daraja_simulator.control import CONTROL_HANDLERS
from daraja_simulator.credentials import load_credentials
from daraja_simulator.errors import DarajaError, internal_server_error
from daraja_simulator.express import stk_push, stk_query
from daraja_simulator.fault_injector import FaultInjector
from daraja_simulator.ledger import Ledger
from daraja_simulator.oauth import generate_token
from daraja_simulator.payouts import b2c_v1, b2c_v3, transaction_status
from daraja_simulator.pull import pull_query, pull_query_get, pull_register
from daraja_simulator.qr import generate_qr
from daraja_simulator.reversals import reversal
from daraja_simulator.state import SimulatorState

logger = structlog.get_logger(__name__)


def create_app(config: SimulatorConfig) -> Litestar:
    ledger = Ledger(balances=SimulatedBalances(config.opening_balances()))
    varied = config.body_forms == "varied"
    seed = config.body_seed if config.body_seed is not None else random.SystemRandom().randrange(2**32)
    if varied:
        logger.info("simulator_body_forms", forms="varied", seed=seed)  # SIM_BODY_SEED=seed replays the draws
    simulator = SimulatorState(
        config=config,
        ledger=ledger,
        credentials=load_credentials(config),
        sender=CallbackSender(ledger, verify_tls=config.verify_tls),
        forms=BodyFormPicker(varied=varied, seed=seed),
    )

    async def provide_simulator() -> SimulatorState:
        return simulator

    app = Litestar(
        route_handlers=[
            generate_token,
            stk_push,
            stk_query,
            b2c_v1,
            b2c_v3,
            transaction_status,
            register_v1,
            register_v2,
            simulate_v1,
            simulate_v2,
            pull_register,
            pull_query,
            pull_query_get,
            generate_qr,
            account_balance,
            reversal,
            *CONTROL_HANDLERS,
            *C2B_CONTROL_HANDLERS,
        ],
        dependencies={"simulator": Provide(provide_simulator)},
        exception_handlers={
            DarajaError: _daraja_error,
            NotFoundException: _not_found,
            MethodNotAllowedException: _method_not_allowed,
            500: _unexpected,
        },
        on_shutdown=[simulator.sender.close, simulator.faults.cancel],
        # Nothing here is for an API catalogue, and the host application owns logging setup.
        openapi_config=None,
        logging_config=None,
    )
    app.state.simulator = simulator
    # Outside Litestar's own exception handling and routing, so a fault can answer before any handler runs, hold an
    # answer back, or cut the connection off (see daraja_simulator.control for the controls).
    app.asgi_handler = FaultInjector(app.asgi_handler, simulator.faults, ledger)
    return app


def _daraja_error(_: Request[Any, Any, Any], error: DarajaError) -> Response[dict[str, str]]:
    return Response(error.body(), status_code=error.status_code)


def _not_found(request: Request[Any, Any, Any], _: Exception) -> Response[dict[str, str]]:
    return _daraja_error(request, DarajaError(404, "404.001.01", "Resource not found"))


def _method_not_allowed(request: Request[Any, Any, Any], _: Exception) -> Response[dict[str, str]]:
    return _daraja_error(request, DarajaError(405, "405.001", "Method Not Allowed"))


def _unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[dict[str, str]]:
    logger.error("simulator_handler_failed", path=request.url.path, error=repr(error))
    return _daraja_error(request, internal_server_error())
