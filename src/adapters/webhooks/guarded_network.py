"""Webhook connections only to addresses the destination policy allows, checked on the address actually connected to.

The host is resolved here, once per connection, and the TCP connection is opened to one of the checked addresses
itself, never to the name: a DNS answer that changes between a check and the connect (rebinding) cannot switch the
destination. httpcore still does TLS with the URL's host name (SNI and certificate checks) and httpx still sends it
as the Host header, since only the network backend (httpcore's documented extension point) is replaced.
"""

import socket
import typing
from collections.abc import Awaitable, Callable
from ipaddress import ip_address

import anyio
import httpcore
import httpx

from domain.webhooks.destination import DestinationPolicy

Resolver = Callable[[str, int], Awaitable[list[str]]]


class DestinationNotAllowedError(Exception):
    """The host resolved to no address the policy allows; nothing was sent."""


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system's resolver gives for `host`, in its order of preference."""
    answers = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(sockaddr[0]) for *_, sockaddr in answers]


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    def __init__(
        self,
        policy: DestinationPolicy,
        resolver: Resolver = system_resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._policy, self._resolver = policy, resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await self._resolver(host, port)
        except TimeoutError as fault:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from fault
        except OSError as fault:
            raise httpcore.ConnectError(f"{host} could not be resolved: {fault}") from fault
        allowed = [address for address in addresses if self._policy.allows(ip_address(address.split("%", 1)[0]))]
        if not allowed:
            raise DestinationNotAllowedError(host)
        refused: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in allowed:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as fault:
                refused = fault
        assert refused is not None
        raise refused

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise DestinationNotAllowedError(path)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport over a connection pool that connects through `GuardedNetworkBackend`.

    httpx 0.28 does not yet take a network backend (encode/httpx#3749), so the pool it built is replaced by one
    built the same way with the guarded backend. Environment proxies are never used: a proxy would connect for us,
    to addresses never checked.
    """

    def __init__(self, policy: DestinationPolicy, limits: httpx.Limits, resolver: Resolver = system_resolver) -> None:
        super().__init__(limits=limits, trust_env=False)
        if not isinstance(self._pool, httpcore.AsyncConnectionPool):
            raise TypeError("httpx built a transport this gateway does not know how to guard")
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedNetworkBackend(policy, resolver),
        )
