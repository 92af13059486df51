"""Serving the simulator on its own: `run("127.0.0.1", 8443)` or `python -m daraja_simulator`."""

import contextlib
import sys

import uvicorn
from litestar import Litestar
from uvicorn.config import STARTUP_FAILURE

from daraja_simulator.app import create_app
from daraja_simulator.config import SimulatorConfig
from daraja_simulator.listener import Listener
from daraja_simulator.state import SimulatorState


def run(host: str, port: int, config: SimulatorConfig | None = None) -> None:
    app = create_app(config if config is not None else SimulatorConfig.from_env())
    # Plain HTTP on purpose: Daraja's TLS is not what the gateway is being tested against. No websockets here.
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", ws="none", lifespan="on"))
    attach_listener(app, server)
    # What uvicorn.run does around Server.run for a single process.
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def attach_listener(app: Litestar, server: uvicorn.Server) -> None:
    """Lets the `refuse_connections` fault close and reopen the sockets this server listens on."""
    simulator: SimulatorState = app.state.simulator
    simulator.faults.listener = Listener(server)
