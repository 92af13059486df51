from dataclasses import dataclass, field

from entrypoints.metrics import GatewayMetrics
from entrypoints.ws.drain import SocketDrain
from entrypoints.ws.socket_guard import SocketGuard
from entrypoints.ws.store_resync import StoreResync


@dataclass(frozen=True, slots=True)
class SocketLimits:
    """What every socket session shares: its idle time-out, the drain that closes it on shutdown, the metrics
    that count its sockets and messages, the guard that caps them, and the store re-read after a Redis outage."""

    idle_timeout: float
    drain: SocketDrain
    guard: SocketGuard
    metrics: GatewayMetrics | None = None
    resync: StoreResync = field(default_factory=StoreResync)
