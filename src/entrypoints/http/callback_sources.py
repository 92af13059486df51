"""Who may deliver Daraja's callbacks: a configurable allow-list of sender addresses.

Safaricom publishes no list; the default is the one circulating in client libraries
(docs/daraja.md#callback-source-addresses). Behind a proxy, the sender is read from X-Forwarded-For, but only when the
connection comes from a trusted proxy.
"""

import ipaddress
from enum import StrEnum

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

SAFARICOM_CALLBACK_ADDRESSES = (
    "196.201.214.200",
    "196.201.214.206",
    "196.201.213.114",
    "196.201.214.207",
    "196.201.214.208",
    "196.201.213.44",
    "196.201.212.127",
    "196.201.212.138",
    "196.201.212.129",
    "196.201.212.136",
    "196.201.212.74",
    "196.201.212.69",
    "196.201.212.128",
    "196.201.212.132",
)


class SourceCheck(StrEnum):
    OFF = "off"
    LOG = "log"  # refused senders are logged as security events, and the callback is still applied
    ENFORCE = "enforce"  # refused senders get 403 and change nothing


class CallbackSources:
    # A plain class, not a dataclass: Litestar would try to validate a dataclass dependency field by field.
    def __init__(self, mode: SourceCheck, allowed: list[str], trusted_proxies: list[str]) -> None:
        self.mode, self.allowed, self.trusted_proxies = mode, _networks(allowed), _networks(trusted_proxies)

    def sender(self, peer: str | None, forwarded_for: str | None) -> str | None:
        """The address that sent the callback: the peer, or, from a trusted proxy, the nearest untrusted hop."""
        if peer is None or not forwarded_for or not _within(peer, self.trusted_proxies):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not _within(hop, self.trusted_proxies):
                return hop
        return hops[0] if hops else peer

    def admits(self, sender: str | None) -> bool:
        return self.mode is SourceCheck.OFF or (sender is not None and _within(sender, self.allowed))


def _networks(entries: list[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)
