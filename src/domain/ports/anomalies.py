from abc import abstractmethod
from typing import Protocol

from domain.anomaly import Anomaly, AnomalyKind


class Anomalies(Protocol):
    """Callbacks that were acknowledged or refused without being applied, for an operator to look into."""

    @abstractmethod
    async def record(self, anomaly: Anomaly) -> None:
        """Keep the anomaly; StoreUnavailableError when the store cannot be reached."""

    @abstractmethod
    async def recent(self, limit: int, kind: AnomalyKind | None = None) -> list[Anomaly]:
        """Up to `limit` anomalies (of `kind`, if given), newest first."""
