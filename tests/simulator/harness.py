"""Test tools for the simulator: a callback receiver, an in-loop uvicorn server, and a client that knows how
to build well-formed Daraja requests (so each test varies only what it is about)."""

import asyncio
import base64
import socket
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding

from daraja_simulator.config import SimulatorConfig
from daraja_simulator.request_rules import stk_password

WAIT_SECONDS = 5.0  # upper bound for anything asynchronous; a passing test never waits that long
PHONE = "254708374149"
TIMESTAMP = "20240706224852"

TEST_CONFIG = SimulatorConfig(callback_delay=0.05, slow_seconds=0.3)


class CallbackReceiver:
    """The smallest ASGI app that records every POST body by path and answers as a gateway should."""

    def __init__(self) -> None:
        self.bodies: dict[str, list[bytes]] = defaultdict(list)
        self._arrived = asyncio.Condition()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        async with self._arrived:
            self.bodies[scope["path"]].append(body)
            self._arrived.notify_all()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"ResultCode":0,"ResultDesc":"Accepted"}'})

    async def wait_for(self, path: str, count: int = 1) -> list[dict[str, Any]]:
        async with asyncio.timeout(WAIT_SECONDS), self._arrived:
            await self._arrived.wait_for(lambda: len(self.bodies[path]) >= count)
        return [msgspec.json.decode(body) for body in self.bodies[path]]


async def until(condition: Callable[[], bool | Awaitable[bool]]) -> None:
    """Polls a condition that offers nothing to wait on, for at most WAIT_SECONDS."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            outcome = condition()
            if outcome if isinstance(outcome, bool) else await outcome:
                return
            await asyncio.sleep(0.01)


@dataclass
class RunningServer:
    url: str
    server: uvicorn.Server
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.task


async def serve(app: Any, lifespan: str) -> RunningServer:
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only then, and without it every
    # response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan, ws="none"))
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    await until(lambda: server.started)
    return RunningServer(f"http://127.0.0.1:{port}", server, task)


def security_credential(password: str, certificate_pem: bytes) -> str:
    """What the gateway's B2C adapter does (docs/daraja.md#security-credential): RSA PKCS#1 v1.5 of the raw password,
    base64."""
    public_key = x509.load_pem_x509_certificate(certificate_pem).public_key()
    return base64.b64encode(public_key.encrypt(password.encode(), padding.PKCS1v15())).decode()  # type: ignore[union-attr]


@dataclass
class Daraja:
    """A test's view of the simulator: its HTTP client, the receiver, and well-formed requests to vary."""

    http: httpx.AsyncClient
    receiver: CallbackReceiver
    receiver_url: str
    config: SimulatorConfig = TEST_CONFIG
    _token: str | None = field(default=None)
    _certificate: bytes | None = field(default=None)

    def callback_path(self) -> str:
        return f"/cb/{uuid.uuid4().hex}"

    async def token(self) -> str:
        if self._token is None:
            response = await self.http.get(
                "/oauth/v1/generate",
                params={"grant_type": "client_credentials"},
                auth=(self.config.consumer_key, self.config.consumer_secret),
            )
            assert response.status_code == 200, response.text
            self._token = response.json()["access_token"]
        return self._token

    def forget_token(self) -> None:
        self._token = None

    async def post(self, path: str, body: object, token: str | None = None) -> httpx.Response:
        bearer = token if token is not None else await self.token()
        return await self.http.post(path, json=body, headers={"Authorization": f"Bearer {bearer}"})

    def stk_request(self, callback_path: str, amount: object = 1, **overrides: object) -> dict[str, object]:
        body: dict[str, object] = {
            "BusinessShortCode": 174379,
            "Password": stk_password(self.config.shortcode, self.config.passkey, TIMESTAMP),
            "Timestamp": TIMESTAMP,
            "TransactionType": "CustomerPayBillOnline",
            "Amount": amount,
            "PartyA": int(PHONE),
            "PartyB": 174379,
            "PhoneNumber": int(PHONE),
            "CallBackURL": self.receiver_url + callback_path,
            "AccountReference": "INV0001",
            "TransactionDesc": "Order 0001",
        }
        body.update(overrides)
        return body

    async def push(self, callback_path: str, amount: object = 1, **overrides: object) -> httpx.Response:
        return await self.post("/mpesa/stkpush/v1/processrequest", self.stk_request(callback_path, amount, **overrides))

    async def query(self, checkout_request_id: str, **overrides: object) -> httpx.Response:
        body: dict[str, object] = {
            "BusinessShortCode": "174379",
            "Password": stk_password(self.config.shortcode, self.config.passkey, TIMESTAMP),
            "Timestamp": TIMESTAMP,
            "CheckoutRequestID": checkout_request_id,
        }
        body.update(overrides)
        return await self.post("/mpesa/stkpushquery/v1/query", body)

    async def credential(self, password: str | None = None) -> str:
        if self._certificate is None:
            self._certificate = (await self.http.get("/simulator/certificate")).content
        return security_credential(password or self.config.initiator_password, self._certificate)

    async def b2c_request(self, result_path: str, amount: object = 10, **overrides: object) -> dict[str, object]:
        body: dict[str, object] = {
            "OriginatorConversationID": str(uuid.uuid4()),
            "InitiatorName": self.config.initiator_name,
            "SecurityCredential": await self.credential(),
            "CommandID": "BusinessPayment",
            "Amount": amount,
            "PartyA": 600996,
            "PartyB": 254705912645,
            "Remarks": "Payout 0001",
            "QueueTimeOutURL": self.receiver_url + result_path + "/timeout",
            "ResultURL": self.receiver_url + result_path,
            "Occassion": "Refund",
        }
        body.update(overrides)
        return body

    async def pay_out(self, body: dict[str, object], version: str = "v3") -> httpx.Response:
        return await self.post(f"/mpesa/b2c/{version}/paymentrequest", body)

    async def stats(self) -> dict[str, Any]:
        response = await self.http.get("/simulator/stats")
        assert response.status_code == 200
        return response.json()

    async def quiet(self) -> None:
        """Waits until every scheduled delivery has settled and been posted (or deliberately not)."""

        async def nothing_scheduled() -> bool:
            return (await self.stats())["callbacks"]["scheduled"] == 0

        await until(nothing_scheduled)
