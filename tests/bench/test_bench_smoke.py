"""`make bench-smoke` as a test, so the bench harness never rots: it runs, writes its results, and loses nothing.

No figure is asserted: timings belong to `make bench` on a known machine, not to a test suite.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPOSITORY = Path(__file__).resolve().parents[2]
# The smoke run takes well under a minute; this only bounds a hang.
SMOKE_LIMIT_SECONDS = 300


def test_the_smoke_bench_completes_writes_its_results_and_loses_nothing(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--results-dir", str(tmp_path), "--name", "smoke"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=SMOKE_LIMIT_SECONDS,
        check=False,
    )

    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    results = json.loads((tmp_path / "smoke.json").read_text())
    assert "| figure | gateway | bare baseline |" in (tmp_path / "smoke.md").read_text()
    [run] = results["runs"]
    for target in ("gateway", "baseline"):
        held = run["held"][target]["steps"][-1]
        assert held["still_open"] == held["sockets"], held
        assert run["status"][target]["ok"] > 0
        assert run["push"][target]["saturation"]["ok"] > 0
        assert run["http_push"][target]["saturation"]["ok"] > 0
        for level in run["callbacks"][target]["levels"].values():
            assert level["planned"] == level["sent"] == level["arrived"], level
            assert level["lost"] == 0
            assert level["statuses"] == {"200": level["sent"]}
    assert results["summary"]["lost"] == 0
    operations = run["commands"]
    for operation in ("push_to_success", "withdrawal_to_success", "status", "socket_open", "c2b_confirmation"):
        assert operations[operation]["operations"] == operations["count"]
        assert operations[operation]["commands"] > 0, operations[operation]  # the gateway's counter was read
    assert operations["idle"]["window_seconds"] > 0
    assert "| `status` of a stored payment |" in (tmp_path / "smoke.md").read_text()


def test_the_smoke_bench_against_the_store_backed_baseline_completes_and_loses_nothing(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--baseline", "store", "--results-dir", str(tmp_path)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=SMOKE_LIMIT_SECONDS,
        check=False,
    )

    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    results = json.loads((tmp_path / "smoke_store_baseline.json").read_text())
    assert results["plan"]["baseline"] == "store"
    assert results["phases"] == ["callbacks", "push", "status"]
    assert "| figure | gateway | store-backed baseline |" in (tmp_path / "smoke_store_baseline.md").read_text()
    [run] = results["runs"]
    for target in ("gateway", "baseline"):
        assert run["status"][target]["ok"] > 0
        assert run["status"][target]["outcomes"] == {"ok": run["status"][target]["ok"]}  # every status found
        assert run["push"][target]["saturation"]["ok"] > 0
        for level in run["callbacks"][target]["levels"].values():
            assert level["planned"] == level["sent"] == level["arrived"], level
            assert level["lost"] == 0
            assert level["statuses"] == {"200": level["sent"]}
    assert results["summary"]["lost"] == 0
