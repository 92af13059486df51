from litestar import get


@get("/health", summary="The process is up", tags=["Operations"])
async def health() -> dict[str, str]:
    return {"status": "ok"}
