"""Serving the simulator on its own: `run("127.0.0.1", 8443)` or `python -m daraja_simulator`."""

import uvicorn

from daraja_simulator.app import create_app
from daraja_simulator.config import SimulatorConfig


def run(host: str, port: int, config: SimulatorConfig | None = None) -> None:
    app = create_app(config if config is not None else SimulatorConfig.from_env())
    # Plain HTTP on purpose: Daraja's TLS is not what the gateway is being tested against. No websockets here.
    uvicorn.run(app, host=host, port=port, log_level="warning", ws="none", lifespan="on")
