"""GET /metrics: Prometheus exposition of this process's registry."""

from litestar import Response, get
from litestar.di import NamedDependency

from entrypoints.metrics import CONTENT_TYPE, GatewayMetrics


@get("/metrics", summary="Prometheus metrics", tags=["Operations"], include_in_schema=False)
async def metrics(gateway_metrics: NamedDependency[GatewayMetrics]) -> Response[bytes]:
    return Response(await gateway_metrics.scrape(), media_type=CONTENT_TYPE)
