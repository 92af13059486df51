"""A client that (re)connects is sent the state it missed: open payments, and those that changed while away."""

import asyncio
from urllib.parse import quote

from tests.support.phones import fresh_phone
from tests.support.processes import Gateway
from tests.support.socket_client import SocketClient

NEVER_CALLED_BACK = 9100  # the simulator's scenario: STK accepted, no callback (B2C: no Result)
# Catch-up updates are sent as soon as the socket is subscribed; this is only how long to listen for them.
LISTEN_SECONDS = 1.0


async def test_a_reconnecting_client_gets_its_open_and_recently_settled_payments(gateway: Gateway) -> None:
    url = f"{gateway.wss}/mpesa/stk/catching-up"
    async with await SocketClient.connect(url, gateway.tls) as client:
        open_one = await client.request(
            {"kind": "push", "payload": {"phone": fresh_phone(), "amount": NEVER_CALLED_BACK, "description": "Open"}}
        )
        settled_one = await client.request(
            {"kind": "push", "payload": {"phone": fresh_phone(), "amount": 40, "description": "Settled"}}
        )
        final = await client.final_update(settled_one["data"]["id"])

    async with await SocketClient.connect(url, gateway.tls) as returning:
        await asyncio.sleep(LISTEN_SECONDS)
    since = quote(final["data"]["updated_at"])
    async with await SocketClient.connect(f"{url}?since={since}", gateway.tls) as precise:
        await asyncio.sleep(LISTEN_SECONDS)

    caught_up = {update["data"]["id"]: update["data"]["status"] for update in returning.updates}
    assert caught_up[open_one["data"]["id"]] == "pending"
    assert caught_up[settled_one["data"]["id"]] == "success"
    assert all(update["topic"] == "/mpesa/catching-up" for update in returning.updates)
    # `since` includes its own millisecond (the store cannot tell what else changed in it): the last update seen
    # comes again, at the version the client has, with nothing older.
    assert {update["data"]["id"]: update["data"]["version"] for update in precise.updates} == {
        open_one["data"]["id"]: open_one["data"]["version"],
        settled_one["data"]["id"]: final["data"]["version"],
    }


async def test_a_reconnecting_b2c_client_gets_its_withdrawals_still_waiting(gateway: Gateway) -> None:
    url = f"{gateway.wss}/mpesa/b2c/catching-up"
    async with await SocketClient.connect(url, gateway.tls) as client:
        ack = await client.request(
            {
                "kind": "withdraw",
                "payload": {"phone": fresh_phone(), "amount": NEVER_CALLED_BACK, "description": "Open"},
            }
        )
        await client.update_where(lambda d: d["id"] == ack["data"]["id"] and d["status"] == "submitted")

    async with await SocketClient.connect(url, gateway.tls) as returning:
        await asyncio.sleep(LISTEN_SECONDS)

    assert {update["data"]["id"]: update["data"]["status"] for update in returning.updates} == {
        ack["data"]["id"]: "submitted"
    }


async def test_a_since_that_is_not_a_time_closes_the_socket_with_1008(gateway: Gateway) -> None:
    async with await SocketClient.connect(
        f"{gateway.wss}/mpesa/stk/catching-up?since=yesterday", gateway.tls
    ) as client:
        await asyncio.wait_for(client.connection.wait_closed(), 10)

    assert client.connection.close_code == 1008
