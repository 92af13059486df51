"""The README's first payment, as written there: its Python and JavaScript clients and its curl command run against
a real gateway served as `make run` serves it (simulator, no API key), with only the address, certificate and phone
replaced."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.phones import fresh_phone
from tests.support.processes import Gateway

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
EXAMPLES = ROOT / "examples"
RUN_TIMEOUT = 60


def fenced_blocks() -> list[tuple[str, str]]:
    """(language, body) of every fenced block of the README, in order."""
    blocks, language, body = [], None, []
    for line in README.splitlines(keepends=True):
        if line.startswith("```") and language is None:
            language, body = line[3:].strip(), []
        elif line.rstrip() == "```" and language is not None:
            blocks.append((language, "".join(body)))
            language = None
        elif language is not None:
            body.append(line)
    return blocks


def fenced_block(language: str, containing: str) -> str:
    found = [body for lang, body in fenced_blocks() if lang == language and containing in body]
    assert len(found) == 1, f"expected one ```{language} block with {containing!r} in the README, found {len(found)}"
    return found[0]


def as_run_here(snippet: str, gateway: Gateway, certfile: Path, phone: str) -> str:
    for written, here in (
        ("wss://localhost:3000", gateway.wss),
        ("https://localhost:3000", gateway.https),
        ("ssl/cert.pem", str(certfile)),
        ("254712345678", phone),
    ):
        snippet = snippet.replace(written, here)
    return snippet


def test_the_python_client_waits_for_its_own_payments_outcome(gateway: Gateway, tls_files: tuple[Path, Path]) -> None:
    certfile, _ = tls_files
    # An earlier payment on the same hash comes first, as catch-up: the client must not stop at it.
    with gateway.http() as client:
        earlier = client.post(
            "/api/v1/mpesa/stk/push",
            json={"phone": fresh_phone(), "amount": 1032, "description": "an earlier payment", "hash": "user123"},
        )
    assert earlier.status_code == 201, earlier.text
    phone = fresh_phone()
    code = as_run_here(fenced_block("python", "websockets.connect"), gateway, certfile, phone)

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr
    last = ast.literal_eval(result.stdout.splitlines()[-1])
    assert last["kind"] == "update"
    assert (last["data"]["phone"], last["data"]["status"]) == (phone, "success")
    assert last["data"]["receipt"]


def test_the_curl_command_pushes_without_an_api_key(gateway: Gateway, tls_files: tuple[Path, Path]) -> None:
    certfile, _ = tls_files
    phone = fresh_phone()
    command = as_run_here(fenced_block("", "curl --cacert"), gateway, certfile, phone)
    environment = {name: value for name, value in os.environ.items() if name != "MPESA_GATEWAY_API_KEY"}

    result = subprocess.run(
        ["bash", "-c", command.rstrip() + " --silent --show-error --fail-with-body"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert '"ok":true' in result.stdout.replace(" ", "")
    assert f'"phone":"{phone}"' in result.stdout.replace(" ", "")


def test_the_browser_client_waits_for_its_own_payments_outcome(
    gateway: Gateway, tls_files: tuple[Path, Path], node_examples: Path
) -> None:
    certfile, _ = tls_files
    with gateway.http() as client:
        earlier = client.post(
            "/api/v1/mpesa/stk/push",
            json={"phone": fresh_phone(), "amount": 1032, "description": "an earlier payment", "hash": "user123"},
        )
    assert earlier.status_code == 201, earlier.text
    phone = fresh_phone()
    snippet = as_run_here(fenced_block("javascript", "mpesa/stk/user123"), gateway, certfile, phone)
    # Node 20 has no global WebSocket, as a browser and Node 22 have: the examples' `ws` package stands in for it;
    # every message is printed as JSON so that the test can read the last.
    print_as_json = "console.log = (value) => process.stdout.write(JSON.stringify(value) + '\\n');"
    script = f"globalThis.WebSocket = require('ws');\n{print_as_json}\n{snippet}"

    result = subprocess.run(
        [str(node_examples), "-e", script],
        env={**os.environ, "NODE_EXTRA_CA_CERTS": str(certfile), "NODE_PATH": str(EXAMPLES / "node_modules")},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    last = json.loads(result.stdout.splitlines()[-1])
    assert last["kind"] == "update"
    assert (last["data"]["phone"], last["data"]["status"]) == (phone, "success")
