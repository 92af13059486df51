"""A real simulator and a real callback receiver, both served by uvicorn on loopback in the test loop.

The simulator is shared by the session and reset before each test; each test uses its own callback paths so
nothing one test scheduled can land in another's assertions.
"""

from collections.abc import AsyncIterator

import httpx
import pytest

from daraja_simulator.app import create_app
from daraja_simulator.server import attach_listener
from tests.simulator.harness import TEST_CONFIG, CallbackReceiver, Daraja, serve


@pytest.fixture(scope="session")
async def receiver() -> AsyncIterator[tuple[CallbackReceiver, str]]:
    app = CallbackReceiver()
    running = await serve(app, lifespan="off")
    yield app, running.url
    await running.stop()


@pytest.fixture(scope="session")
async def simulator_url() -> AsyncIterator[str]:
    app = create_app(TEST_CONFIG)
    running = await serve(app, lifespan="on")
    attach_listener(app, running.server)  # so the refuse_connections fault closes the real socket
    yield running.url
    await running.stop()


@pytest.fixture
async def daraja(simulator_url: str, receiver: tuple[CallbackReceiver, str]) -> AsyncIterator[Daraja]:
    async with httpx.AsyncClient(base_url=simulator_url) as http:
        assert (await http.post("/simulator/reset")).status_code == 200
        yield Daraja(http, receiver[0], receiver[1])
