"""Prometheus metrics of the calls made to Daraja: by path (a fixed set of API paths) and outcome, with latency."""

from prometheus_client import CollectorRegistry, Counter, Histogram

_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class DarajaCallMetrics:
    """Registered on the process's own registry (never the global default). Labels are bounded: the API path the
    gateway chose and an outcome word; no body, token, phone or hash ever becomes a label."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._calls = Counter(
            "mpesa_gateway_daraja_calls",
            "Calls to Daraja by API path and outcome (answered with its HTTP status class, or why there was none).",
            ["path", "outcome"],
            registry=registry,
        )
        self._latency = Histogram(
            "mpesa_gateway_daraja_call_duration_seconds",
            "How long each call to Daraja took, by API path.",
            ["path"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )

    def observe(self, path: str, outcome: str, status: int | None, seconds: float) -> None:
        label = f"{outcome}_{status // 100}xx" if outcome == "answered" and status is not None else outcome
        self._calls.labels(path=path, outcome=label).inc()
        self._latency.labels(path=path).observe(seconds)
