from domain.callbacks.anomaly import Anomaly, AnomalyKind
from domain.callbacks.ports import Anomalies


class ListAnomalies:
    """The newest anomalies, of one kind or all, for an operator."""

    def __init__(self, anomalies: Anomalies) -> None:
        self._anomalies = anomalies

    async def __call__(self, limit: int, kind: AnomalyKind | None = None) -> list[Anomaly]:
        return await self._anomalies.recent(limit, kind)
