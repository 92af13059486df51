"""The store-backed baseline (`python -m bench.baseline_app --store URL …`): the bare baseline's transport, plus the
least store and Daraja work each operation needs, and nothing else of the gateway (issue 15, item 6).

Served by uvicorn exactly as the bare baseline is (bench/baseline_app.py: same certificate, websocket protocol,
maximum message size, permessage-deflate). It talks to the store the gateway's run uses with the gateway's own
driver and client settings (`create_mongo_client`, PyMongo's asyncio client), in a database of its own on that
store, and to the simulator the gateway uses through an httpx client with the gateway's time-out and pool limits.
Per operation:

- `status` (a socket frame `{"kind": "status", "payload": {"checkout": C}}`): one `find_one` by checkout,
  projected, the hash checked here (as the gateway's repository does); answered with the stored payment;
- `push` (`{"kind": "push", "payload": {"phone", "amount", "description"}}`): one insert of the pending payment,
  Daraja's STK push request over httpx (the same request body the gateway sends, its password made per request,
  one OAuth token fetched at start-up), one update saving Daraja's CheckoutRequestID; answered with the payment;
- a callback (`POST /hook/{hash}`, Daraja's STK callback body): one conditional update (the payment by its
  CheckoutRequestID while `pending` → `success`, returning it) and the payment published as an `update` frame to
  every socket of its hash; `200` as Daraja expects, also for a repeated callback (then nothing is published).

No log lines, no validation beyond what the work needs, no locks, counters, events or outbox.
"""

import asyncio
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
from pymongo import ASCENDING, ReturnDocument

from adapters.daraja.stk_password import daraja_timestamp, stk_password
from adapters.mongo.client import create_mongo_client
from entrypoints.settings import SANDBOX_PASSKEY, SANDBOX_SHORTCODE, SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

DATABASE = "bench_store_baseline"
COLLECTION = "payments"
STK_PUSH_PATH = "/mpesa/stkpush/v1/processrequest"
OAUTH_PATH = "/oauth/v1/generate"
# The fields a payment frame carries (the gateway's payment `data`), read back projected.
PROJECTION = {
    "hash": True,
    "checkout": True,
    "merchant_request": True,
    "status": True,
    "phone": True,
    "amount": True,
    "description": True,
    "created_at": True,
    "updated_at": True,
    "result_code": True,
    "result_desc": True,
    "receipt": True,
}
_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode
ACCEPTED = _encode({"ResultCode": 0, "ResultDesc": "Accepted"})


def _data(document: dict[str, Any]) -> dict[str, Any]:
    """A stored payment as a frame's `data`."""
    data = {key: value for key, value in document.items() if key not in ("_id", "hash")}
    data["id"] = document["_id"]
    return data


class Socket:
    """Sends are serialised: replies and published updates are written from different tasks."""

    def __init__(self, send: Send) -> None:
        self._send, self._lock = send, asyncio.Lock()

    async def send(self, frame: bytes) -> None:
        async with self._lock:
            await self._send({"type": "websocket.send", "text": frame.decode()})


class StoreBaseline:
    def __init__(self, store_url: str, database: str, daraja_url: str, callback_base_url: str) -> None:
        self._store_url, self._database_name = store_url, database
        self._daraja_url, self._callback_base_url = daraja_url.rstrip("/"), callback_base_url.rstrip("/")
        self.sockets: dict[str, set[Socket]] = {}
        self._token = ""

    async def start(self) -> None:
        # The gateway's driver and client settings (src/adapters/mongo/client.py), and its Daraja client's time-out
        # and pool limits (src/entrypoints/bootstrap/containers.py).
        self._client = create_mongo_client(self._store_url)
        self._payments = self._client[self._database_name][COLLECTION]
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(30.0, connect=5.0),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=8),
        )
        await self._payments.create_index([("checkout", ASCENDING)])
        response = await self._http.get(
            f"{self._daraja_url}{OAUTH_PATH}",
            params={"grant_type": "client_credentials"},
            auth=httpx.BasicAuth(SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET),
        )
        response.raise_for_status()
        self._token = response.json()["access_token"]

    async def stop(self) -> None:
        await self._http.aclose()
        await self._client.close()

    # The operations ---------------------------------------------------------------------------------------------

    async def status(self, hash_: str, checkout: object) -> dict[str, Any]:
        found = await self._payments.find_one({"checkout": {"$eq": checkout}}, projection=PROJECTION)
        if found is None or found["hash"] != hash_:
            return {"kind": "status", "ok": False, "error": {"code": "NOT_FOUND"}}
        return {"kind": "status", "ok": True, "data": _data(found)}

    async def push(self, hash_: str, payload: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC)
        payment = {
            "_id": secrets.token_hex(16),
            "hash": hash_,
            "checkout": None,
            "merchant_request": None,
            "status": "pending",
            "phone": str(payload["phone"]),
            "amount": int(payload["amount"]),
            "description": str(payload.get("description") or ""),
            "callback_token": secrets.token_hex(24),  # hex, as the gateway: Daraja refuses URLs spelling "cmd"
            "created_at": now,
            "updated_at": now,
            "result_code": None,
            "result_desc": None,
            "receipt": None,
        }
        await self._payments.insert_one(payment)
        answer = await self._stk_push(payment)
        checkout, merchant_request = answer.get("CheckoutRequestID"), answer.get("MerchantRequestID")
        if not checkout:
            return {"kind": "push", "ok": False, "error": {"code": str(answer.get("errorCode", "DARAJA_REFUSED"))}}
        payment |= {"checkout": checkout, "merchant_request": merchant_request, "updated_at": datetime.now(UTC)}
        await self._payments.update_one(
            {"_id": {"$eq": payment["_id"]}},
            {"$set": {key: payment[key] for key in ("checkout", "merchant_request", "updated_at")}},
        )
        del payment["callback_token"]
        return {"kind": "push", "ok": True, "data": _data(payment)}

    async def _stk_push(self, payment: dict[str, Any]) -> dict[str, Any]:
        """The request body the gateway's DarajaStkClient sends, with a password made for this request."""
        timestamp = daraja_timestamp(datetime.now(UTC))
        body = {
            "BusinessShortCode": SANDBOX_SHORTCODE,
            "Password": stk_password(SANDBOX_SHORTCODE, SANDBOX_PASSKEY, timestamp),
            "Timestamp": timestamp,
            "TransactionType": "CustomerPayBillOnline",
            "Amount": payment["amount"],
            "PartyA": payment["phone"],
            "PartyB": SANDBOX_SHORTCODE,
            "PhoneNumber": payment["phone"],
            "CallBackURL": f"{self._callback_base_url}/{payment['callback_token']}",
            "AccountReference": payment["hash"][:12],
            "TransactionDesc": payment["description"][:13].strip() or "bench",
        }
        response = await self._http.post(
            f"{self._daraja_url}{STK_PUSH_PATH}", json=body, headers={"Authorization": f"Bearer {self._token}"}
        )
        answer: dict[str, Any] = response.json()
        return answer

    async def callback(self, body: bytes) -> None:
        callback = _decode(body)["Body"]["stkCallback"]
        items = {item["Name"]: item.get("Value") for item in (callback.get("CallbackMetadata") or {}).get("Item", [])}
        settled = await self._payments.find_one_and_update(
            {"checkout": {"$eq": callback["CheckoutRequestID"]}, "status": {"$eq": "pending"}},
            {
                "$set": {
                    "status": "success" if callback["ResultCode"] == 0 else "failed",
                    "result_code": callback["ResultCode"],
                    "result_desc": callback.get("ResultDesc"),
                    "receipt": items.get("MpesaReceiptNumber"),
                    "updated_at": datetime.now(UTC),
                }
            },
            projection=PROJECTION,
            return_document=ReturnDocument.AFTER,
        )
        if settled is None:
            return  # unknown, or already final: Daraja is answered all the same
        topic = "/mpesa/" + settled["hash"]
        frame = _encode({"kind": "update", "topic": topic, "data": _data(settled)})
        for socket in list(self.sockets.get(topic, ())):
            await socket.send(frame)

    # ASGI ---------------------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        elif scope["type"] == "http":
            await self._http_request(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        for _ in range(2):
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        hash_ = scope["path"].rstrip("/").rsplit("/", 1)[-1]
        topic = "/mpesa/" + hash_
        socket = Socket(send)
        self.sockets.setdefault(topic, set()).add(socket)
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    continue
                await socket.send(_encode(await self._answer(hash_, text)))
        finally:
            group = self.sockets.get(topic)
            if group is not None:
                group.discard(socket)
                if not group:
                    del self.sockets[topic]

    async def _answer(self, hash_: str, text: str) -> dict[str, Any]:
        try:
            document = _decode(text)
            kind, payload = document.get("kind"), document.get("payload") or {}
        except (msgspec.DecodeError, AttributeError):
            return {"kind": "error", "ok": False, "error": {"code": "INVALID_JSON"}}
        if kind == "status":
            reply = await self.status(hash_, payload.get("checkout"))
        elif kind == "push":
            reply = await self.push(hash_, payload)
        else:
            reply = {"kind": kind, "ok": False, "error": {"code": "UNKNOWN_KIND"}}
        return {**reply, "ref": document.get("ref")}

    async def _http_request(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path, method = scope["path"], scope["method"]
        if method == "GET" and path == "/health":
            await _respond(send, 200, b'{"status":"ok"}')
        elif method == "POST" and path.startswith("/hook/"):
            await self.callback(body)
            await _respond(send, 200, ACCEPTED)
        else:
            await _respond(send, 404, b'{"error":"not found"}')


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
