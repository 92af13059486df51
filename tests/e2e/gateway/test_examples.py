"""The README's runnable client examples (examples/pay.py and examples/pay.mjs) run against a real gateway and pay."""

import os
import subprocess
import sys
from pathlib import Path

from tests.support.phones import fresh_phone
from tests.support.processes import Gateway

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
RUN_TIMEOUT = 60


def test_the_python_example_pays(gateway: Gateway, tls_files: tuple[Path, Path]) -> None:
    certfile, _ = tls_files
    result = subprocess.run(
        [
            *(sys.executable, str(EXAMPLES / "pay.py"), "--url", gateway.wss, "--cafile", str(certfile)),
            *("--phone", fresh_phone(), "--amount", "100", "--hash", "example-python"),
        ],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("payment success: ")
    assert '"status": "success"' in result.stdout


def test_the_javascript_example_pays(gateway: Gateway, tls_files: tuple[Path, Path], node_examples: Path) -> None:
    certfile, _ = tls_files
    result = subprocess.run(
        [str(node_examples), str(EXAMPLES / "pay.mjs"), gateway.wss, fresh_phone(), "100"],
        env={**os.environ, "NODE_EXTRA_CA_CERTS": str(certfile), "HASH": "example-node"},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("payment success: ")
    assert '"status":"success"' in result.stdout
