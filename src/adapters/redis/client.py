from redis.asyncio import Redis

# How long one XREAD of the relay waits for updates before it looks at its subscriptions again.
READ_BLOCK_SECONDS = 0.25


def create_redis_client(url: str | None, timeout_seconds: float) -> Redis | None:
    """None without REDIS_URL: the gateway then keeps everything in its own process."""
    if url is None:
        return None
    client: Redis = Redis.from_url(
        url,
        socket_connect_timeout=timeout_seconds,
        # A read may block for READ_BLOCK_SECONDS by design before Redis answers.
        socket_timeout=timeout_seconds + READ_BLOCK_SECONDS,
        # The relay and the limits fall back on their own while Redis is away: no hidden retries that stall them.
        retry_on_timeout=False,
    )
    return client
