"""Pull Transactions: register, and query the C2B payments the simulator completed, delivered or not
(docs/daraja.md#pull-transactions)."""

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency

from daraja_simulator import request_rules as rules
from daraja_simulator.c2b import authorised_json
from daraja_simulator.c2b_ledger import C2bPaymentRecord
from daraja_simulator.clock import EAT, eat_now
from daraja_simulator.errors import DarajaError
from daraja_simulator.identifiers import request_id
from daraja_simulator.state import SimulatorState

_KEPT = timedelta(hours=48)
# Only the Paybill value is published; the till one is made up.
_TYPES = {"CustomerPayBillOnline": "c2b-pay-bill-debit", "CustomerBuyGoodsOnline": "c2b-buy-goods-debit"}
_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


@post("/pulltransactions/v1/register", status_code=200)
async def pull_register(request: Request[Any, Any, Any], simulator: NamedDependency[SimulatorState]) -> Response[Any]:
    body = await authorised_json(request, simulator, None)
    shortcode = rules.shortcode(body, "ShortCode")
    rules.one_of(body, "RequestType", {"Pull"})
    rules.text(body, "NominatedNumber", max_length=15)
    rules.url(body, "CallBackURL")
    known = shortcode in simulator.c2b.pull_registered
    simulator.c2b.pull_registered.add(shortcode)
    return Response(
        {
            "ResponseRefID": request_id(),
            "ResponseStatus": "1001" if known else "1000",
            "ShortCode": shortcode,
            "ResponseDescription": "ShortCode already registered" if known else "Shortcode Registered Successfully",
        },
        status_code=200,
    )


@post("/pulltransactions/v1/query", status_code=200)
async def pull_query(request: Request[Any, Any, Any], simulator: NamedDependency[SimulatorState]) -> Response[Any]:
    return await _query(request, simulator)


@get("/pulltransactions/v1/query", status_code=200)
async def pull_query_get(request: Request[Any, Any, Any], simulator: NamedDependency[SimulatorState]) -> Response[Any]:
    # Safaricom's page calls the query a GET while its sample sends a JSON body: both are answered.
    return await _query(request, simulator)


async def _query(request: Request[Any, Any, Any], simulator: SimulatorState) -> Response[Any]:
    body = await authorised_json(request, simulator, None)
    simulator.c2b.pull_queries += 1
    shortcode = rules.shortcode(body, "ShortCode")
    if shortcode not in simulator.c2b.pull_registered:
        raise DarajaError(400, "400.001", "Invalid ShortCode")
    start, end = _moment(body, "StartDate"), _moment(body, "EndDate")
    offset = int(rules.digits(body, "OffSetValue", 1, 9))
    start = max(start, eat_now() - _KEPT)
    rows = simulator.c2b.completed(shortcode, start, end)[offset : offset + simulator.config.pull_page_size]
    if not rows:
        return Response(
            {
                "ResponseRefID": request_id(),
                "ResponseCode": "1001",
                "ResponseMessage": "No transactions found",
                "Transaction": "[[]]",
            },
            status_code=200,
        )
    return Response(
        {
            "ResponseRefID": request_id(),
            "ResponseCode": "1000",
            "ResponseMessage": "Success",
            "Response": [[_row(row) for row in rows]],
        },
        status_code=200,
    )


def _row(record: C2bPaymentRecord) -> dict[str, object]:
    return {
        "transactionId": record.trans_id,
        # Whether Daraja's trailing Z really means UTC is not documented; here it does.
        "trxDate": record.moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "msisdn": record.msisdn_shown,
        "sender": "UAT2",
        "transactiontype": _TYPES[record.command_id],
        "billreference": record.bill_reference,
        "amount": f"{record.amount}.00",
        "organizationname": f"Simulated shortcode {record.shortcode}",
    }


def _moment(body: dict[str, Any], name: str) -> datetime:
    value = body.get(name)
    if isinstance(value, str):
        for form in _FORMATS:
            try:
                return datetime.strptime(value.strip(), form).replace(tzinfo=EAT)
            except ValueError:
                continue
    raise DarajaError(400, "400.002.02", f"Bad Request - Invalid {name}")
