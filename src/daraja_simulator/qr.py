"""Dynamic QR: a real QR code, as a base64 PNG, of what the M-PESA app would pre-fill (docs/daraja.md#dynamic-qr)."""

import base64
import io
from typing import Any

import segno
from litestar import Request, Response, post
from litestar.di import NamedDependency

from daraja_simulator import request_rules as rules
from daraja_simulator.c2b import authorised_json
from daraja_simulator.errors import DarajaError
from daraja_simulator.identifiers import legacy_originator_conversation_id
from daraja_simulator.state import SimulatorState

TRX_CODES = frozenset({"BG", "WA", "PB", "SM", "SB"})
_LARGEST = 2000
_SMALLEST = 50


@post("/mpesa/qrcode/v1/generate", status_code=200)
async def generate_qr(request: Request[Any, Any, Any], simulator: NamedDependency[SimulatorState]) -> Response[Any]:
    body = await authorised_json(request, simulator, None)
    merchant = rules.text(body, "MerchantName", max_length=100)
    reference = rules.text(body, "RefNo", max_length=100)
    amount = rules.whole_amount(body)
    trx_code = rules.one_of(body, "TrxCode", TRX_CODES)
    cpi = rules.digits(body, "CPI", 5, 12)
    size_text = body.get("Size")
    if not isinstance(size_text, str) or not size_text.isdigit() or not _SMALLEST <= int(size_text) <= _LARGEST:
        raise DarajaError(400, "400.002.02", "Bad Request - Invalid Size")
    # The payload of Safaricom's QR is not published; this one names the same fields, readable by any scanner.
    payload = f"MPESA|{trx_code}|{cpi}|{reference}|{amount}|{merchant}"
    return Response(
        {
            "ResponseCode": "00",
            "RequestID": legacy_originator_conversation_id(),
            "ResponseDescription": "QR Code Successfully Generated.",
            "QRCode": base64.b64encode(qr_png(payload, int(size_text))).decode(),
        },
        status_code=200,
    )


def qr_png(payload: str, size: int) -> bytes:
    """A PNG of about `size` pixels a side (whole pixels per module, so a little smaller at most)."""
    code = segno.make(payload, error="m", micro=False)
    width, _ = code.symbol_size(scale=1, border=4)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=max(1, size // width), border=4)
    return buffer.getvalue()
