from dataclasses import dataclass

from entrypoints.metrics import GatewayMetrics
from entrypoints.ws.drain import SocketDrain
from entrypoints.ws.socket_guard import SocketGuard


@dataclass(frozen=True, slots=True)
class SocketLimits:
    """What every socket session shares: its idle time-out, the drain that closes it on shutdown, the metrics
    that count its sockets and messages, and the guard that caps them."""

    idle_timeout: float
    drain: SocketDrain
    guard: SocketGuard
    metrics: GatewayMetrics | None = None
