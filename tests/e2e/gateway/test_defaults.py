"""`make run`'s path: with no MONGODB_URL and no DARAJA_BASE_URL the gateway brings up its own store and simulator."""

import json
from pathlib import Path
from urllib.parse import urlsplit

from adapters.local_process import port_accepts
from tests.support.processes import start_gateway
from tests.support.socket_client import SocketClient

SEED_PUSH = '{"kind":"push","payload":{"phone":"254712345678","amount":100,"description":"Payment for services"}}'


def started_urls(log: Path) -> dict[str, str]:
    events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return {event["event"]: event["url"] for event in events if event["event"].endswith("_started") and "url" in event}


async def test_the_gateway_runs_on_its_embedded_defaults_and_stops_what_it_started(
    tmp_path: Path, tls_files: tuple[Path, Path]
) -> None:
    gateway = start_gateway(tmp_path, *tls_files)
    try:
        async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/user123", gateway.tls) as client:
            ack = await client.send_text(SEED_PUSH)
            final = await client.final_update(ack["data"]["checkout"])
        urls = started_urls(gateway.process.log_file)
    finally:
        gateway.process.stop()

    assert final["data"]["status"] == "success"
    assert set(urls) == {"embedded_store_started", "simulator_started"}
    assert (tmp_path / "var" / "mongo").is_dir()
    for url in urls.values():
        address = urlsplit(url)
        assert not port_accepts(address.hostname or "", address.port or 0), f"{url} still answers after the stop"
