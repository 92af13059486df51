"""Numbers from samples, and what the kernel says about a process and the machine."""

import contextlib
import importlib.metadata
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

LIBRARIES = (
    "litestar",
    "uvicorn",
    "websockets",
    "uvloop",
    "httptools",
    "msgspec",
    "odmantic",
    "pymongo",
    "nx-27017",
    "neosqlite",
    "httpx",
    "structlog",
)


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def latency_summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "count": len(ordered),
        "p50": percentile(ordered, 0.50),
        "p95": percentile(ordered, 0.95),
        "p99": percentile(ordered, 0.99),
        "max": ordered[-1] if ordered else float("nan"),
    }


def spread(values: Sequence[float | None]) -> dict[str, Any]:
    """The median of several runs, and how far apart they were."""
    present = [value for value in values if value is not None and not math.isnan(value)]
    if not present:
        return {"median": None, "min": None, "max": None, "runs": values}
    return {"median": statistics.median(present), "min": min(present), "max": max(present), "runs": list(values)}


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / _TICKS


def open_files_limit(pid: int) -> int | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                return int(line.split()[3])
    return None


def raise_open_files_limit() -> tuple[int, int]:
    """The soft limit up to the hard one, for this process and every child it starts from now on."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def machine(repository: Path) -> dict[str, Any]:
    meminfo = {
        line.split(":")[0]: line.split(":")[1].strip() for line in Path("/proc/meminfo").read_text().splitlines()
    }
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    versions: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "cpu": model,
        "memory_gib": round(int(meminfo["MemTotal"].split()[0]) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "libraries": versions,
        "open_files_limit": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
        "git": _git(repository),
        "gateway_source": _gateway_source(),
    }


def _gateway_source() -> str | None:
    """Where the gateway's code is imported from (PYTHONPATH may point elsewhere than this checkout's src/)."""
    try:
        return (
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import entrypoints, pathlib; print(pathlib.Path(entrypoints.__file__).parent.parent)",
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            ).stdout.strip()
            or None
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def _git(repository: Path) -> dict[str, Any]:
    def run(*arguments: str) -> str:
        try:
            return subprocess.run(
                ["git", *arguments], cwd=repository, capture_output=True, text=True, timeout=10, check=False
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    return {"commit": run("rev-parse", "HEAD") or None, "dirty": bool(run("status", "--porcelain", "--", "src"))}
