from dataclasses import dataclass

from entrypoints.ws.drain import SocketDrain


@dataclass(frozen=True, slots=True)
class SocketLimits:
    """What every socket session shares: its idle time-out, and the drain that closes it on shutdown."""

    idle_timeout: float
    drain: SocketDrain
