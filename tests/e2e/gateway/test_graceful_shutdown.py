"""SIGTERM: sockets are told 1001, and a push already on its way to Daraja still records Daraja's answer."""

import asyncio
import signal
from pathlib import Path

import pymongo

from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.phones import fresh_phone
from tests.support.processes import Simulator, start_gateway
from tests.support.socket_client import SocketClient

SLOW_ANSWER = 9300  # the simulator answers this push after SIM_SLOW_SECONDS (1.5 s in the tests)


async def test_sigterm_closes_sockets_with_1001_and_finishes_the_push_in_flight(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> None:
    gateway = start_gateway(
        workdir, *tls_files, MONGODB_URL=store.url, MONGODB_DATABASE="e2e_shutdown", DARAJA_BASE_URL=simulator.url
    )
    phone = fresh_phone()
    try:
        async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/stopping", gateway.tls) as client:
            await client.connection.send(
                f'{{"kind":"push","payload":{{"phone":"{phone}","amount":{SLOW_ANSWER},"description":"In flight"}}}}'
            )
            await asyncio.sleep(0.3)  # the push is now waiting on Daraja
            gateway.process._process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
            await asyncio.wait_for(client.connection.wait_closed(), 10)
        exit_status = await asyncio.to_thread(gateway.process._process.wait, 30)  # type: ignore[union-attr]
    finally:
        gateway.process.stop()
    with pymongo.MongoClient(store.url) as mongo:
        stored = mongo["e2e_shutdown"]["stk_payments"].find_one({"phone": phone})

    assert client.connection.close_code == 1001
    assert exit_status == 0
    assert stored["checkout"].startswith("ws_CO_")
    assert stored["outcome_unknown"] is False
