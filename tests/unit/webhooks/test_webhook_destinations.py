"""Where webhooks may be delivered: public addresses, and only the non-public ones an operator allows."""

from ipaddress import ip_address

import pydantic
import pytest

from domain.shared.error_codes import ErrorCode
from domain.shared.errors import WebhookDestinationNotAllowedError
from domain.webhooks.destination import DestinationPolicy, literal_address
from domain.webhooks.use_cases.register_webhook import RegisterWebhook, WebhookRegistration
from entrypoints.settings import Settings
from tests.unit.entrypoints.test_client_security_settings import SANDBOX
from tests.unit.fakes import FixedClock, SequentialIdentifiers
from tests.unit.webhook_fakes import FakeEventLog, FakeWebhookEndpoints

STRICT = DestinationPolicy()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",  # loopback
        "127.255.255.254",
        "::1",
        "169.254.169.254",  # cloud metadata
        "169.254.0.1",  # link-local
        "fe80::1",
        "10.0.0.1",  # RFC 1918
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "fc00::1",  # unique local
        "fd12:3456::1",
        "100.64.0.1",  # carrier-grade NAT
        "100.127.255.254",
        "224.0.0.1",  # multicast
        "239.255.255.250",
        "ff02::1",
        "ff0e::1",
        "0.0.0.0",  # unspecified
        "::",
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "192.0.0.8",
        "192.0.2.1",  # documentation
        "198.18.0.1",  # benchmarking
        "2001:db8::1",
        "fec0::1",  # site-local
        "::ffff:127.0.0.1",  # IPv4-mapped forms of the above
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "::ffff:100.64.0.1",
        "::127.0.0.1",  # IPv4-compatible
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a00:1::",  # 6to4 of 10.0.0.1
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not STRICT.allows(ip_address(address))


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "196.201.214.200", "100.63.255.255", "100.128.0.1", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8"],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert STRICT.allows(ip_address(address))


def test_every_non_public_address_is_allowed_with_private_networks_allowed() -> None:
    policy = DestinationPolicy(allow_private_networks=True)

    assert all(policy.allows(ip_address(a)) for a in ("127.0.0.1", "169.254.169.254", "10.0.0.1", "::1"))


def test_an_allowed_network_lets_through_only_its_own_addresses_in_any_form() -> None:
    policy = DestinationPolicy.parse(False, " 10.20.0.0/16 , 127.0.0.2/32,")

    assert policy.allows(ip_address("10.20.3.4")) and policy.allows(ip_address("::ffff:10.20.3.4"))
    assert policy.allows(ip_address("127.0.0.2"))
    assert not policy.allows(ip_address("10.21.0.1"))
    assert not policy.allows(ip_address("127.0.0.1"))
    assert not policy.allows(ip_address("169.254.169.254"))


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("169.254.43518", "169.254.169.254"),
        ("[::ffff:a9fe:a9fe]", "::ffff:169.254.169.254"),
        ("fe80::1%eth0", "fe80::1"),
        ("10.0.0.1.", "10.0.0.1"),
        ("1.2.3.4.5", "0.0.0.0"),  # numeric but no address: refused like the unspecified one
        ("shop.example", None),
        ("8ball.example", None),
    ],
)
def test_literal_addresses_are_read_in_every_form_a_resolver_reads(host: str, address: str | None) -> None:
    literal = literal_address(host)

    assert (None if literal is None else str(literal)) == (None if address is None else str(ip_address(address)))


async def registering(url: str, policy: DestinationPolicy) -> tuple[RegisterWebhook, FakeWebhookEndpoints]:
    endpoints = FakeWebhookEndpoints()
    register = RegisterWebhook(endpoints, FakeEventLog(), SequentialIdentifiers(), FixedClock(), True, policy)
    return register, endpoints


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:27017/",
        "http://localhost:8080/hooks",
        "http://LOCALHOST./hooks",
        "http://api.localhost/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:3000/",
        "http://[::ffff:127.0.0.1]/",
        "http://127.1:6379/",
        "http://2130706433/",
        "https://10.0.0.5/hooks",
        "https://[fd00::5]/hooks",
    ],
)
async def test_registering_a_literal_internal_address_or_localhost_is_refused_and_stores_nothing(url: str) -> None:
    register, endpoints = await registering(url, STRICT)

    with pytest.raises(WebhookDestinationNotAllowedError) as refused:
        await register(WebhookRegistration(url, ["*"]))

    assert refused.value.code is ErrorCode.WEBHOOK_DESTINATION_NOT_ALLOWED
    assert refused.value.details[0]["field"] == "url"
    assert endpoints.endpoints == {}


async def test_names_and_allowed_addresses_are_registered() -> None:
    register, endpoints = await registering("", DestinationPolicy.parse(False, "10.0.0.0/24"))

    await register(WebhookRegistration("https://shop.example/hooks", ["*"]))
    await register(WebhookRegistration("https://10.0.0.5/hooks", ["*"]))

    assert sorted(e.url for e in endpoints.endpoints.values()) == [
        "https://10.0.0.5/hooks",
        "https://shop.example/hooks",
    ]


def test_private_networks_are_allowed_by_default_only_with_the_simulator() -> None:
    sandbox = {**SANDBOX, "client_token_keys": "k1:" + "s" * 32}

    assert Settings().webhook_destinations().allow_private_networks
    assert not Settings(**sandbox).webhook_destinations().allow_private_networks  # type: ignore[arg-type]
    assert Settings(webhook_allow_private_networks=False).webhook_destinations() == STRICT


def test_a_bad_allowed_network_or_a_configured_internal_endpoint_stops_the_gateway_starting() -> None:
    with pytest.raises(pydantic.ValidationError, match="WEBHOOK_ALLOWED_NETWORKS"):
        Settings(webhook_allowed_networks="10.0.0.0/33")
    configured = '[{"url": "http://169.254.169.254/", "secret": "' + "s" * 30 + '"}]'
    with pytest.raises(pydantic.ValidationError, match="not a public address"):
        Settings(webhook_allow_private_networks=False, webhook_endpoints=configured)  # type: ignore[arg-type]
