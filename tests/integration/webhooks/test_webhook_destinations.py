"""The webhook sender over real sockets: it connects only to an address the policy allows, the one it checked, so a
DNS answer that turns internal (rebinding) gets nothing sent and nothing revealed."""

from collections.abc import Awaitable, Callable

import httpx

from adapters.webhooks.guarded_network import GuardedTransport
from adapters.webhooks.httpx_sender import HttpxWebhookSender
from domain.webhooks.destination import DestinationPolicy
from tests.support.webhook_receiver import running_receiver
from tests.unit.fakes import FixedClock

# The merchant's receiver listens on 127.0.0.2, the only non-public address allowed; an "internal service" listens
# on 127.0.0.1, on the same port.
RECEIVER, INTERNAL = "127.0.0.2", "127.0.0.1"
POLICY = DestinationPolicy.parse(False, f"{RECEIVER}/32")
LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=0)


def answering(*answers: list[str]) -> tuple[Callable[[str, int], Awaitable[list[str]]], list[str]]:
    """A resolver giving `answers` in turn (the last one from then on), and the names it was asked."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return answers[min(len(asked), len(answers)) - 1]

    return resolve, asked


def sender(resolve: Callable[[str, int], Awaitable[list[str]]]) -> HttpxWebhookSender:
    client = httpx.AsyncClient(follow_redirects=False, transport=GuardedTransport(POLICY, LIMITS, resolve))
    return HttpxWebhookSender(client, FixedClock())


async def test_a_name_that_resolves_to_an_internal_address_on_the_second_lookup_is_refused() -> None:
    resolve, asked = answering([RECEIVER], [INTERNAL])
    with running_receiver(host=RECEIVER) as receiver, running_receiver(receiver.port, host=INTERNAL) as internal:
        webhooks = sender(resolve)
        url = f"http://shop.example:{receiver.port}/hooks"

        first = await webhooks.post(url, b"{}", {"Content-Type": "application/json"})
        second = await webhooks.post(url, b"{}", {"Content-Type": "application/json"})

    assert first.succeeded
    assert [request.header("Host") for request in receiver.received] == [f"shop.example:{receiver.port}"]
    assert (second.status_code, second.latency_ms, second.error) == (None, 0, "destination not allowed")
    assert internal.received == []
    assert asked == ["shop.example", "shop.example"]


async def test_of_several_answers_only_an_allowed_address_is_connected_to() -> None:
    resolve, _ = answering([INTERNAL, "169.254.169.254", RECEIVER])
    with running_receiver(host=RECEIVER) as receiver, running_receiver(receiver.port, host=INTERNAL) as internal:
        attempt = await sender(resolve).post(f"http://shop.example:{receiver.port}/hooks", b"{}", {})

    assert attempt.succeeded
    assert len(receiver.received) == 1 and internal.received == []


async def test_an_internal_port_that_is_closed_or_open_looks_the_same_in_the_delivery_log() -> None:
    resolve, _ = answering([INTERNAL])
    with running_receiver(host=INTERNAL) as listening:
        webhooks = sender(resolve)
        open_port = await webhooks.post(f"http://{INTERNAL}:{listening.port}/hooks", b"{}", {})
        closed_port = await webhooks.post(f"http://{INTERNAL}:1/hooks", b"{}", {})
        metadata = await webhooks.post("http://169.254.169.254/latest/meta-data/", b"{}", {})

    assert open_port.view() == closed_port.view() == metadata.view()
    assert open_port.error == "destination not allowed" and listening.received == []


async def test_the_system_resolver_is_checked_too() -> None:
    with running_receiver(host=INTERNAL) as listening:
        client = httpx.AsyncClient(transport=GuardedTransport(POLICY, LIMITS))
        attempt = await HttpxWebhookSender(client, FixedClock()).post(f"http://localhost:{listening.port}/", b"", {})

    assert attempt.error == "destination not allowed" and listening.received == []
