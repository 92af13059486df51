"""Steering a simulator process's faults from a test (see daraja_simulator.control for what each setting does)."""

import time
from typing import Any

import httpx


def set_faults(simulator_url: str, **plan: object) -> dict[str, Any]:
    response = httpx.post(f"{simulator_url}/simulator/faults", json=plan, timeout=5)
    assert response.status_code == 200, response.text
    described: dict[str, Any] = response.json()
    return described


def clear_faults(simulator_url: str) -> None:
    httpx.delete(f"{simulator_url}/simulator/faults", timeout=5).raise_for_status()


def requests_to(simulator_url: str, path: str) -> int:
    """Requests that reached `path`, faulted ones included."""
    stats = httpx.get(f"{simulator_url}/simulator/stats", timeout=5).json()
    per_path: dict[str, int] = stats["daraja_requests"]["per_path"]
    return per_path.get(path, 0)


def daraja_requests(simulator_url: str) -> int:
    total: int = httpx.get(f"{simulator_url}/simulator/stats", timeout=5).json()["daraja_requests"]["total"]
    return total


def wait_until_listening(simulator_url: str, timeout: float = 10.0) -> None:
    """After a `refuse_connections` fault: returns once the simulator accepts connections again."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{simulator_url}/simulator/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)
