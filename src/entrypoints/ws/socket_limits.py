from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SocketLimits:
    idle_timeout: float
