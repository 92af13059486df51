"""Run the signature-verification snippets (examples/webhooks/, shown in docs/webhooks-and-events.md) on deliveries
a test's receiver captured: the Python one in-process, the Node.js one under `node`, both on the same cases."""

import base64
import importlib.util
import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SNIPPETS = Path(__file__).resolve().parents[2] / "examples" / "webhooks"
PYTHON_SNIPPET = SNIPPETS / "verify_signature.py"
NODE_SNIPPET = SNIPPETS / "verify_signature.mjs"

_NODE_RUNNER = """
import { verifySignature } from %s;
let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = JSON.parse(input).map((c) =>
  verifySignature(c.secret, c.header, Buffer.from(c.body, 'base64'), ...(c.now === null ? [] : [300, c.now])));
console.log(JSON.stringify(results));
"""


@dataclass(frozen=True)
class SignatureCase:
    secret: str
    header: str
    body: bytes
    now: float | None = None  # None: the snippet's own clock


def python_verifier() -> Callable[..., bool]:
    spec = importlib.util.spec_from_file_location("verify_signature_snippet", PYTHON_SNIPPET)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    verify: Callable[..., bool] = module.verify_signature
    return verify


def python_results(cases: list[SignatureCase]) -> list[bool]:
    verify = python_verifier()
    return [verify(case.secret, case.header, case.body, now=case.now) for case in cases]


def node_results(cases: list[SignatureCase], workdir: Path) -> list[bool]:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed to run the JavaScript snippet"
    runner = workdir / "verify_runner.mjs"
    runner.write_text(_NODE_RUNNER % json.dumps(NODE_SNIPPET.as_uri()))
    payload = [
        {"secret": c.secret, "header": c.header, "body": base64.b64encode(c.body).decode(), "now": c.now} for c in cases
    ]
    result = subprocess.run(
        [node, str(runner)], input=json.dumps(payload), capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    results: list[bool] = json.loads(result.stdout)
    return results
