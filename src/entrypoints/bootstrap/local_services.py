"""The embedded store and the bundled simulator, started when configuration points at neither."""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

from adapters.local_process import LocalProcess, free_port
from adapters.mongo.embedded_server import EmbeddedMongo
from entrypoints.settings import MpesaEnvironment, Settings

logger = structlog.get_logger()


@contextmanager
def local_store(settings: Settings, *, join_running: bool = False) -> Iterator[Settings]:
    """With MONGODB_URL unset, run the embedded MongoDB-compatible store until the block ends.

    `join_running` (the CLI's one-shot commands): use the store a gateway already runs on DATA_DIR, if any, rather
    than refusing; `serve` never joins, since the store would stop under it when its owner exits."""
    if settings.mongodb_url is not None:
        yield settings
        return
    embedded = EmbeddedMongo(settings.data_dir / "mongo")
    running = embedded.running_url() if join_running else None
    if running is not None:
        logger.info("embedded_store_joined", url=running)
        yield settings.model_copy(update={"mongodb_url": running})
        return
    with embedded as mongo:
        logger.info("embedded_store_started", url=mongo.url)
        yield settings.model_copy(update={"mongodb_url": mongo.url})


@contextmanager
def local_simulator(settings: Settings) -> Iterator[Settings]:
    """In simulator mode with DARAJA_BASE_URL unset, run the bundled Daraja simulator until the block ends."""
    if settings.mpesa_env is not MpesaEnvironment.SIMULATOR or settings.daraja_base_url is not None:
        yield settings
        return
    port = free_port()
    command = [sys.executable, "-m", "entrypoints.cli", "simulator", "--host", "127.0.0.1", "--port", str(port)]
    environment = {**os.environ, **_simulator_environment(settings)}
    with LocalProcess(command, port=port, log_file=settings.data_dir / "simulator.log", env=environment):
        url = f"http://127.0.0.1:{port}"
        logger.info("simulator_started", url=url)
        yield settings.model_copy(update={"daraja_base_url": url})


def _simulator_environment(settings: Settings) -> dict[str, str]:
    return {
        "SIM_CONSUMER_KEY": settings.consumer_key(),
        "SIM_CONSUMER_SECRET": settings.consumer_secret(),
        "SIM_SHORTCODE": settings.shortcode(),
        "SIM_PASSKEY": settings.passkey(),
        "SIM_CALLBACK_DELAY": str(settings.simulator_callback_delay),
    }
