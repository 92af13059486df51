"""Which addresses webhooks may be delivered to: public ones, and the non-public ones an operator allows.

Without it an API-key holder could point an endpoint at the cloud metadata service, the local store's port or any
private host, and read the delivery log as a port scanner. The delivery-time check (the sender resolves the host and
connects only to an address this policy allows) is the guard; the registration-time check of literal addresses and
`localhost` only refuses early what could never be delivered.
"""

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

# IANA's special-purpose registries (RFC 6890 and successors): nothing here is a merchant's public receiver.
NON_PUBLIC_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, where cloud metadata (169.254.169.254) lives
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",  # RFC 1918
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
        "::/8",  # unspecified, loopback, IPv4-compatible and other reserved forms
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments (Teredo among them)
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
_IPV4_MAPPED = ip_network("::ffff:0:0/96")
_NAT64 = ip_network("64:ff9b::/96")
_SIXTOFOUR = ip_network("2002::/16")
_LOCALHOST_NAMES = ("localhost", "localhost.localdomain")
_UNSPECIFIED = IPv4Address(0)


def embedded_ipv4(address: IPAddress) -> IPv4Address | None:
    """The IPv4 address an IPv6 one carries and reaches (IPv4-mapped, NAT64, 6to4); None for any other."""
    if isinstance(address, IPv4Address):
        return None
    if address in _IPV4_MAPPED or address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _SIXTOFOUR:
        return IPv4Address((int(address) >> 80) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Not in any special-purpose range, nor carrying an IPv4 address that is."""
    embedded = embedded_ipv4(address)
    if embedded is not None and not is_public(embedded):
        return False
    if address in _IPV4_MAPPED:
        return True  # decided by the address it carries
    flagged = address.is_private or address.is_reserved or address.is_loopback or address.is_link_local
    if flagged or address.is_multicast or address.is_unspecified:
        return False
    return not any(address in network for network in NON_PUBLIC_NETWORKS if network.version == address.version)


@dataclass(frozen=True, slots=True)
class DestinationPolicy:
    """`allow_private_networks` lets every address through (the simulator's default: the tests' receivers listen on
    127.0.0.1); `allowed_networks` lets through only the non-public networks listed."""

    allow_private_networks: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, allow_private_networks: bool, allowed_networks: str) -> "DestinationPolicy":
        """`allowed_networks` is a comma-separated list of CIDRs; ValueError naming the first bad one."""
        networks = []
        for listed in (part.strip() for part in allowed_networks.split(",")):
            if not listed:
                continue
            try:
                networks.append(ip_network(listed, strict=False))
            except ValueError:
                raise ValueError(f"WEBHOOK_ALLOWED_NETWORKS: {listed!r} is not an IP network (CIDR)") from None
        return cls(allow_private_networks, tuple(networks))

    def allows(self, address: IPAddress) -> bool:
        if self.allow_private_networks or is_public(address):
            return True
        embedded = embedded_ipv4(address)
        forms = [address] if embedded is None else [address, embedded]
        return any(form in network for form in forms for network in self.allowed_networks)

    def allows_host(self, host: str) -> bool:
        """Whether a URL's host may be registered: False for `localhost` names and literal addresses (in any form
        a resolver would read, such as `127.1` or `0x7f000001`) that are not allowed; True for any other name,
        which is checked again, resolved, at every delivery."""
        name = host.lower().rstrip(".")
        if name in _LOCALHOST_NAMES or name.endswith(".localhost"):
            return self.allows(IPv4Address("127.0.0.1")) and self.allows(IPv6Address("::1"))
        literal = literal_address(name)
        return literal is None or self.allows(literal)


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally: IPv6 (with or without brackets and zone), or IPv4 in the forms URL
    parsers and resolvers accept (dotted quad, fewer parts, hex and octal parts, one number); None for a name."""
    unbracketed = host.removeprefix("[").removesuffix("]").split("%", 1)[0]
    try:
        return ip_address(unbracketed)
    except ValueError:
        pass
    parts = host.split(".")
    if parts and parts[-1] == "":
        parts.pop()
    numbers = [_ipv4_number(part) for part in parts]
    if not parts or parts[-1] == "" or numbers[-1] is None:
        return None  # a name, whose last label is not a number (WHATWG URL's "ends in a number" rule)
    if any(number is None for number in numbers) or len(numbers) > 4:
        return _UNSPECIFIED  # numeric but malformed: refused like the unspecified address
    *leading, last = [number for number in numbers if number is not None]
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):
        return _UNSPECIFIED
    value = last
    for position, number in enumerate(leading):
        value += number << (8 * (3 - position))
    return IPv4Address(value)


def _ipv4_number(part: str) -> int | None:
    try:
        if part.lower().startswith("0x"):
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part.startswith("0"):
            return int(part[1:], 8)
        return int(part, 10) if part.isdigit() else None
    except ValueError:
        return None
