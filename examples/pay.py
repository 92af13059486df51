"""Pay with M-PESA through the gateway from Python: push, then print every message until the payment settles.

    pip install websockets
    python examples/pay.py --url wss://localhost:3000 --cafile ssl/cert.pem --phone 254712345678 --amount 100

The URL and certificate may also come from GATEWAY_URL and GATEWAY_CAFILE. Exits 0 when the payment succeeded."""

import argparse
import asyncio
import json
import os
import ssl
import sys

import websockets


async def pay(url: str, cafile: str, hash_: str, phone: str, amount: int, description: str) -> dict:
    # Trust the gateway's dev certificate (`make run` wrote ssl/cert.pem); with a real certificate, drop cafile.
    tls = ssl.create_default_context(cafile=cafile) if url.startswith("wss:") else None
    async with websockets.connect(f"{url}/mpesa/stk/{hash_}", ssl=tls) as ws:
        request = {"kind": "push", "payload": {"phone": phone, "amount": amount, "description": description}}
        await ws.send(json.dumps(request))
        checkout = None
        async for frame in ws:
            message = json.loads(frame)
            print(json.dumps(message), flush=True)
            if message["kind"] == "push":  # the acknowledgement
                if not message["ok"]:
                    return {"status": "refused", "error": message["error"]}
                checkout = message["data"]["checkout"]
            elif message["kind"] == "update" and message["data"]["checkout"] == checkout:
                data = message["data"]
                if data["status"] != "pending":  # the outcome
                    return data
    return {"status": "disconnected"}


def main() -> int:
    parser = argparse.ArgumentParser(description="Ask for an STK push and wait for its outcome.")
    parser.add_argument("--url", default=os.environ.get("GATEWAY_URL", "wss://localhost:3000"))
    parser.add_argument("--cafile", default=os.environ.get("GATEWAY_CAFILE", "ssl/cert.pem"))
    parser.add_argument("--hash", default="user123", help="the connection's hash: every socket on it gets updates")
    parser.add_argument("--phone", default="254712345678")
    parser.add_argument("--amount", type=int, default=100)
    parser.add_argument("--description", default="Payment for services")
    args = parser.parse_args()
    final = asyncio.run(pay(args.url, args.cafile, args.hash, args.phone, args.amount, args.description))
    print(f"payment {final['status']}: {final.get('receipt') or final.get('result_desc') or final.get('error')}")
    return 0 if final["status"] == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
