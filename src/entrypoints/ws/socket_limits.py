from dataclasses import dataclass, field

from entrypoints.metrics import GatewayMetrics
from entrypoints.ws.drain import SocketDrain
from entrypoints.ws.idle_sweep import IdleSweep
from entrypoints.ws.socket_guard import SocketGuard
from entrypoints.ws.store_resync import StoreResync


@dataclass(frozen=True, slots=True)
class SocketLimits:
    """What every socket session shares: the sweep that closes it when idle, the drain that closes it on shutdown,
    the metrics that count its sockets and messages, the guard that caps them, and the store re-read after a Redis
    outage."""

    idle: IdleSweep
    drain: SocketDrain
    guard: SocketGuard
    metrics: GatewayMetrics | None = None
    resync: StoreResync = field(default_factory=StoreResync)
