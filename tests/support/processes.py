"""Real processes for end-to-end tests: the embedded store, the simulator and gateways over TLS."""

import ssl
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from adapters.local_process import LocalProcess, free_port

GATEWAY_START_TIMEOUT = 40.0
# Longer than the gateway's own bounded graceful shutdown, so a stop never ends in SIGKILL and orphans.
GATEWAY_STOP_TIMEOUT = 20.0


UNLIMITED = {
    "STK_ONE_PENDING_PER_PHONE": "false",
    "STK_PROMPTS_PER_PHONE": "0",
    "WS_MAX_SOCKETS_PER_HASH": "100000",
    "WS_MAX_SOCKETS_PER_ADDRESS": "100000",
    "WS_MESSAGES_PER_HASH": "1000000",
    "WS_MESSAGES_PER_ADDRESS": "1000000",
}


@dataclass
class Gateway:
    process: LocalProcess
    port: int
    tls: ssl.SSLContext

    @property
    def https(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def wss(self) -> str:
        return f"wss://127.0.0.1:{self.port}"

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.https, verify=self.tls, timeout=10)


@dataclass
class Simulator:
    process: LocalProcess
    url: str

    def stats(self) -> dict[str, object]:
        response = httpx.get(f"{self.url}/simulator/stats", timeout=5)
        response.raise_for_status()
        body: dict[str, object] = response.json()
        return body

    def b2c_requests(self, originator_conversation_id: str) -> int:
        requests: dict[str, dict[str, int]] = self.stats()["b2c_payment_requests"]  # type: ignore[assignment]
        return requests["per_originator_conversation_id"].get(originator_conversation_id, 0)

    def reversal_requests(self, receipt: str) -> int:
        requests: dict[str, dict[str, int]] = self.stats()["reversal_requests"]  # type: ignore[assignment]
        return requests["per_receipt"].get(receipt, 0)

    def b2c_request_count(self) -> int:
        requests: dict[str, int] = self.stats()["b2c_payment_requests"]  # type: ignore[assignment]
        return requests["total"]

    def stk_push_count(self) -> int:
        requests: dict[str, int] = self.stats()["stk_push_requests"]  # type: ignore[assignment]
        return requests["total"]


def cli(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "entrypoints.cli", *arguments]


def client_tls(certfile: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(certfile))
    return context


def _log_file(workdir: Path, name: str) -> Path:
    """A log of this process alone: ports are reused during a session, and a shared log would mix two processes."""
    return workdir / f"{name}-{uuid.uuid4().hex[:8]}.log"


def start_simulator(workdir: Path, **environment: str) -> Simulator:
    port = free_port()
    process = LocalProcess(
        cli("simulator", "--port", str(port)),
        port=port,
        log_file=_log_file(workdir, f"simulator-{port}"),
        # Varied: every body in any form seen in the wild (docs/daraja.md), drawn from a seed the simulator logs;
        # SIM_BODY_SEED in the environment replays a run's draws.
        env={"SIM_CALLBACK_DELAY": "0.2", "SIM_SLOW_SECONDS": "1.5", "SIM_BODY_FORMS": "varied", **environment},
    ).start()
    return Simulator(process, f"http://127.0.0.1:{port}")


def start_gateway(
    workdir: Path, certfile: Path, keyfile: Path, *, port: int | None = None, **environment: str
) -> Gateway:
    """A gateway process over TLS; `port` lets a restarted gateway answer at the address Daraja was given."""
    port = port or free_port()
    env = {
        "APP_HOST": "127.0.0.1",
        "APP_PORT": str(port),
        "SSL_CERTFILE": str(certfile),
        "SSL_KEYFILE": str(keyfile),
        "DATA_DIR": str(workdir / "var"),
        "SIMULATOR_CALLBACK_DELAY": "0.2",
        "OPEN_WITHDRAWALS": "true" if environment.get("MPESA_ENV", "simulator") == "simulator" else "false",
        # Server endpoints without API keys, as `make run` serves them; the API-key tests turn this off.
        "API_KEYS_OPTIONAL": "true" if environment.get("MPESA_ENV", "simulator") == "simulator" else "false",
        # The suite pushes to a few phones from one address all session: abuse limits are tested where asked for.
        **UNLIMITED,
        # Idle loops back off to this at most: work another process made (a due check, a second instance's
        # withdrawal) is looked for within a second, as the tests' short poll intervals expect.
        "IDLE_POLL_MAX_SECONDS": "1",
        **environment,
    }
    process = LocalProcess(
        cli("serve"),
        port=port,
        log_file=_log_file(workdir, f"gateway-{port}"),
        env=env,
        start_timeout=GATEWAY_START_TIMEOUT,
        stop_timeout=GATEWAY_STOP_TIMEOUT,
    ).start()
    gateway = Gateway(process, port, client_tls(certfile))
    _wait_until_healthy(gateway)
    return gateway


def _wait_until_healthy(gateway: Gateway, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    with gateway.http() as client:
        while True:
            try:
                if client.get("/health").status_code == 200:
                    return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)
