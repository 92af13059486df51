from dataclasses import dataclass

from entrypoints.metrics import GatewayMetrics
from entrypoints.ws.drain import SocketDrain


@dataclass(frozen=True, slots=True)
class SocketLimits:
    """What every socket session shares: its idle time-out, the drain that closes it on shutdown, and the metrics
    that count its sockets and messages."""

    idle_timeout: float
    drain: SocketDrain
    metrics: GatewayMetrics | None = None
