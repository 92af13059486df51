"""The README's commands and snippets, run word for word as the README gives them, in README order, against a
gateway served as `make run` serves it (simulator mode, no API key, its default per-phone limits, the embedded
store): the text run is the text extracted from README.md, `wss://localhost:3000`, `ssl/cert.pem`, the phone and all.

Every ```sh, ```python and ```javascript block is run, each from a directory laid out like the repository after
`make run` (examples/ and ssl/cert.pem), in a private network where localhost:3000 reaches the test's gateway
(tests/support/private_network.py). The one block not run is marked in the README with a comment naming this file:
the `make run` / `make test` block, since this test starts the gateway itself. Other blocks are ```text."""

import ast
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from entrypoints.settings import Settings
from tests.support.gateway_settings import DATABASE
from tests.support.phones import fresh_phone
from tests.support.private_network import forwarded_to, in_private_network
from tests.support.processes import UNLIMITED, Gateway, Simulator, start_gateway, start_simulator

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text()
EXAMPLES = ROOT / "examples"
RUN_TIMEOUT = 90
RUN = {"sh", "python", "javascript"}
NOT_RUN_MARK = "<!-- not run by tests/e2e/gateway/test_readme_snippets.py"
README_PHONE = "254712345678"
# `make run`'s limits are the settings' defaults: the suite's gateways lift them (tests/support/processes.py).
MAKE_RUN_LIMITS = {name: str(Settings.model_fields[name.lower()].default).lower() for name in UNLIMITED}


def fenced_blocks() -> list[tuple[str, str, bool]]:
    """(language, body, marked as not run) of every fenced block of the README, in order."""
    blocks: list[tuple[str, str, bool]] = []
    language: str | None = None
    body: list[str] = []
    previous = ""
    marked = False
    for line in README.splitlines(keepends=True):
        if line.startswith("```") and language is None:
            language, body, marked = line[3:].strip(), [], previous.startswith(NOT_RUN_MARK)
        elif line.rstrip() == "```" and language is not None:
            blocks.append((language, "".join(body), marked))
            language = None
        elif language is not None:
            body.append(line)
        previous = line
    return blocks


def runnable_blocks() -> list[tuple[str, str]]:
    return [(language, body) for language, body, marked in fenced_blocks() if language in RUN and not marked]


def block_id(block: tuple[str, str]) -> str:
    language, body = block
    first = next(line for line in body.splitlines() if line.strip() and not line.startswith(("import", "//")))
    return f"{language}:{re.sub(r'[^A-Za-z0-9]+', '-', first)[:40].strip('-')}"


def test_every_block_is_run_or_marked_as_not_run() -> None:
    for language, body, marked in fenced_blocks():
        assert language in RUN | {"text", "json"}, f"a fenced block without a known language: {body[:60]!r}"
        if marked:
            assert language == "sh" and "make run" in body, "only the `make run` block is excused"
    assert len(runnable_blocks()) >= 5


@pytest.fixture(scope="module")
def readme_simulator(workdir: Path) -> Iterator[Simulator]:
    """The simulator as `make run` starts it: callbacks about two seconds after the push."""
    simulator = start_simulator(
        workdir, SIM_CALLBACK_DELAY=str(Settings.model_fields["simulator_callback_delay"].default)
    )
    yield simulator
    simulator.process.stop()


@pytest.fixture(scope="module")
def readme_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, readme_simulator: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE + "_readme",
        DARAJA_BASE_URL=readme_simulator.url,
        **MAKE_RUN_LIMITS,
    )
    yield gateway
    gateway.process.stop()


@pytest.fixture(scope="module")
def checkout_dir(tmp_path_factory: pytest.TempPathFactory, tls_files: tuple[Path, Path], node_examples: Path) -> Path:
    """The repository as `make run` leaves it, as far as the README's commands look: examples/ (a copy, which the
    README's `npm install --prefix examples` may write to) and ssl/cert.pem."""
    directory = tmp_path_factory.mktemp("readme")
    shutil.copytree(EXAMPLES, directory / "examples", symlinks=True)
    (directory / "ssl").symlink_to(tls_files[0].parent)
    return directory


@contextlib.contextmanager
def busy_hashes(gateway: Gateway, withdrawals: bool) -> Iterator[None]:
    """Other payments of `user123` (and withdrawals of `user456`) start and end while a block runs, each taking as
    long as the block's own: a client that stops at any final update, not its own, stops at one of these."""
    stop = threading.Event()

    def start_others() -> None:
        with gateway.http() as client:
            while not stop.wait(0.3):
                client.post(
                    "/api/v1/mpesa/stk/push",
                    json={"phone": fresh_phone(), "amount": 1032, "description": "another payment", "hash": "user123"},
                )
                if withdrawals:  # failed: insufficient balance (and little of the hash's daily limit used)
                    client.post(
                        "/api/v1/mpesa/b2c/withdraw",
                        json={"phone": fresh_phone(), "amount": 9001, "description": "another one", "hash": "user456"},
                    )

    thread = threading.Thread(target=start_others, daemon=True)
    thread.start()
    # A head start: the first of them end while the block's own payment still waits for its callback.
    time.sleep(Settings.model_fields["simulator_callback_delay"].default * 0.75)
    try:
        yield
    finally:
        stop.set()
        thread.join(15)


@pytest.fixture(scope="module")
def earlier_payment(readme_gateway: Gateway) -> str:
    """A payment of `user123` that stays pending (callback lost): the catch-up sends it to every new socket on the
    hash first, and a client that stops at the first update stops at it."""
    with readme_gateway.http() as client:
        response = client.post(
            "/api/v1/mpesa/stk/push",
            json={"phone": fresh_phone(), "amount": 9100, "description": "an earlier payment", "hash": "user123"},
        )
    assert response.status_code == 201, response.text
    checkout: str = response.json()["data"]["checkout"]
    return checkout


def run_block(
    language: str, body: str, socket_path: Path, cwd: Path, certfile: Path, node: Path
) -> subprocess.CompletedProcess[str]:
    # A fresh machine: no API key in the environment; `python` is the one with the project's packages.
    environment = {name: value for name, value in os.environ.items() if name != "MPESA_GATEWAY_API_KEY"}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    if language == "python":
        command = [sys.executable, "-c", body]
    elif language == "javascript":
        # The README's browser snippets, under Node: Node 20 has no global WebSocket, as a browser and Node 22 do,
        # so the examples' `ws` package stands in; and every message is printed as JSON, for the test to read.
        prelude = (
            "globalThis.WebSocket = require('ws');\n"
            "console.log = (value) => process.stdout.write(JSON.stringify(value) + '\\n');\n"
        )
        command = [str(node), "-e", prelude + body]
        environment |= {"NODE_EXTRA_CA_CERTS": "ssl/cert.pem", "NODE_PATH": str(cwd / "examples" / "node_modules")}
    else:
        command = ["bash", "-e", "-c", body]
        # npm would otherwise ask the registry for an audit report: the private network has no way out.
        environment |= {"npm_config_audit": "false", "npm_config_fund": "false", "npm_config_offline": "true"}
    return subprocess.run(
        in_private_network(socket_path, command),
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )


@pytest.mark.parametrize("block", runnable_blocks(), ids=block_id)
def test_the_readme_block_runs_as_written(
    block: tuple[str, str],
    readme_gateway: Gateway,
    checkout_dir: Path,
    tls_files: tuple[Path, Path],
    node_examples: Path,
    earlier_payment: str,
) -> None:
    language, body = block
    with forwarded_to(readme_gateway.port) as socket_path, busy_hashes(readme_gateway, withdrawals="mpesa/b2c" in body):
        result = run_block(language, body, socket_path, checkout_dir, tls_files[0], node_examples)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    if language == "python":
        messages = [ast.literal_eval(line) for line in lines]
    elif language == "javascript":
        messages = [json.loads(line) for line in lines]
    else:
        messages = []
    if messages:  # a client: it stopped at the final update of the payment or withdrawal it asked for
        replies = [message for message in messages if message["kind"] in {"push", "withdraw"}]
        assert len(replies) == 1 and replies[0]["ok"], replies
        acknowledgement, last = replies[0], messages[-1]
        own = "checkout" if acknowledgement["kind"] == "push" else "id"
        assert last["kind"] == "update", last
        assert last["data"][own] == acknowledgement["data"][own] != earlier_payment
        assert (last["data"]["phone"], last["data"]["status"]) == (README_PHONE, "success")
        assert last["data"]["receipt"]
    elif "examples/pay" in body:  # the runnable examples: each ends with its own payment's outcome
        assert [line for line in lines if line.startswith("payment ")] == [
            line for line in lines if line.startswith("payment success: ")
        ]
        assert len([line for line in lines if line.startswith("payment success: ")]) == body.count("examples/pay.")
    elif "curl" in body:
        reply = json.loads(result.stdout)
        assert reply["ok"] and reply["data"]["phone"] == README_PHONE, reply
        _wait_until_final(readme_gateway, reply["data"]["id"])


def _wait_until_final(gateway: Gateway, payment_id: str) -> None:
    """The next block may push to the same phone, and one prompt per phone may be open at a time, as on Daraja."""
    deadline = time.monotonic() + 30
    with gateway.http() as client:
        while time.monotonic() < deadline:
            if client.get(f"/api/v1/payments/{payment_id}").json()["data"]["status"] != "pending":
                return
            time.sleep(0.2)
    raise AssertionError(f"payment {payment_id} still pending")
