"""C2B: Register URL (v1, v2) and the sandbox's simulate call, which runs validation then confirmation against the
registered URLs (docs/daraja.md#c2b-register-url, #c2b-simulate; docs/simulator.md, "C2B")."""

from typing import Any

import structlog
from litestar import Request, Response, post
from litestar.di import NamedDependency

from daraja_simulator import request_rules as rules
from daraja_simulator.c2b_ledger import C2bPaymentRecord, C2bScenario, UrlSet, shown_msisdn
from daraja_simulator.callbacks import Post
from daraja_simulator.clock import eat_now
from daraja_simulator.errors import DarajaError, invalid_field
from daraja_simulator.identifiers import receipt_number, request_id
from daraja_simulator.state import SimulatorState

logger = structlog.get_logger(__name__)

C2B_COMMANDS = frozenset({"CustomerPayBillOnline", "CustomerBuyGoodsOnline"})
RESPONSE_TYPES = frozenset({"Completed", "Cancelled"})
_TRANSACTION_TYPES = {"CustomerPayBillOnline": "Pay Bill", "CustomerBuyGoodsOnline": "Buy Goods"}
# The STK test shortcode cannot hold C2B URLs; the sandbox answers with an Apigee fault, not Daraja's error body.
_STK_ONLY_SHORTCODE = "174379"
_NAMES = ("JOHN", "JANE", "PETER", "MARY", "DAVID", "GRACE")


@post("/mpesa/c2b/v1/registerurl", status_code=200)
async def register_v1(request: Request[Any, Any, Any], simulator: NamedDependency[SimulatorState]) -> Response[Any]:
    return await _register(request, simulator, "v1")


@post("/mpesa/c2b/v2/registerurl", status_code=200)
async def register_v2(request: Request[Any, Any, Any], simulator: NamedDependency[SimulatorState]) -> Response[Any]:
    return await _register(request, simulator, "v2")


async def _register(request: Request[Any, Any, Any], simulator: SimulatorState, version: str) -> Response[Any]:
    body = await authorised_json(request, simulator, version)
    simulator.c2b.register_calls += 1
    shortcode = rules.shortcode(body, "ShortCode")
    response_type = rules.one_of(body, "ResponseType", RESPONSE_TYPES)
    confirmation = rules.url(body, "ConfirmationURL", forbid_words=True)
    validation = rules.url(body, "ValidationURL", forbid_words=True)
    if shortcode == _STK_ONLY_SHORTCODE:
        fault = "Execution of ServiceCallout SCO-AddURLVault failed. Reason: ResponseCode 409 is treated as error"
        return Response(
            {"Envelope": {"Body": {"Fault": {"faultcode": "soap:Server", "faultstring": fault}}}}, status_code=500
        )
    if simulator.config.c2b_mode == "production" and shortcode in simulator.c2b.urls:
        raise DarajaError(500, "500.003.1001", "Urls are already registered")
    simulator.c2b.urls[shortcode] = UrlSet(shortcode, version, response_type, confirmation, validation)
    return Response(
        {"OriginatorCoversationID": request_id(), "ResponseCode": "0", "ResponseDescription": "Success"},
        status_code=200,
    )


@post("/mpesa/c2b/v1/simulate", status_code=200)
async def simulate_v1(request: Request[Any, Any, Any], simulator: NamedDependency[SimulatorState]) -> Response[Any]:
    return await _simulate(request, simulator)


@post("/mpesa/c2b/v2/simulate", status_code=200)
async def simulate_v2(request: Request[Any, Any, Any], simulator: NamedDependency[SimulatorState]) -> Response[Any]:
    return await _simulate(request, simulator)


async def _simulate(request: Request[Any, Any, Any], simulator: SimulatorState) -> Response[Any]:
    body = await authorised_json(request, simulator, None)
    if simulator.config.c2b_mode == "production":
        raise DarajaError(404, "404.003.01", "Resource not found")  # simulation is not offered on production
    simulator.c2b.simulate_calls += 1
    shortcode = rules.shortcode(body, "ShortCode")
    command_id = rules.one_of(body, "CommandID", C2B_COMMANDS)
    amount = rules.whole_amount(body)
    msisdn = rules.msisdn(body, "Msisdn")
    reference = body.get("BillRefNumber")
    if command_id == "CustomerPayBillOnline":
        bill_reference = rules.text(body, "BillRefNumber", max_length=20)
    else:
        bill_reference = reference if isinstance(reference, str) and reference != "null" else ""
    start_payment(simulator, shortcode, command_id, amount, msisdn, bill_reference, C2bScenario.NORMAL)
    return Response(
        {
            "OriginatorCoversationID": request_id(),
            "ResponseCode": "0",
            "ResponseDescription": "Accept the service request successfully.",
        },
        status_code=200,
    )


def start_payment(
    simulator: SimulatorState,
    shortcode: str,
    command_id: str,
    amount: int,
    msisdn: str,
    bill_reference: str,
    scenario: C2bScenario,
) -> C2bPaymentRecord:
    """Record the payment and run it in the background (validation, then confirmation), as M-PESA does."""
    record = new_payment(simulator, shortcode, command_id, amount, msisdn, bill_reference, scenario)
    simulator.sender.run(lambda: complete_payment(simulator, record))
    return record


def new_payment(
    simulator: SimulatorState,
    shortcode: str,
    command_id: str,
    amount: int,
    msisdn: str,
    bill_reference: str,
    scenario: C2bScenario,
) -> C2bPaymentRecord:
    moment = eat_now()
    trans_id = receipt_number(moment)
    while any(p.trans_id == trans_id for p in simulator.c2b.payments):
        trans_id = receipt_number(moment)
    if scenario is C2bScenario.WRONG_ACCOUNT:
        bill_reference = f"{bill_reference}9"[:20]
    registered = simulator.c2b.urls.get(shortcode)
    form = simulator.config.c2b_msisdn_form
    if form == "auto":
        form = "sha256" if registered is not None and registered.version == "v1" else "masked"
    record = C2bPaymentRecord(
        trans_id=trans_id,
        shortcode=shortcode,
        command_id=command_id,
        amount=amount,
        bill_reference=bill_reference,
        msisdn=msisdn,
        msisdn_shown=shown_msisdn(msisdn, form),
        first_name=_NAMES[int(msisdn) % len(_NAMES)],
        moment=moment,
        scenario=scenario,
    )
    simulator.c2b.payments.append(record)
    return record


async def complete_payment(simulator: SimulatorState, record: C2bPaymentRecord) -> None:
    registered = simulator.c2b.urls.get(record.shortcode)
    if registered is None:
        # No URLs: M-PESA completes the payment silently; only Pull and the portal know of it.
        record.outcome = "completed"
        simulator.c2b.credit(record.shortcode, record.amount)
        return
    third_party = ""
    if simulator.config.c2b_validation:
        accepted, third_party = await _validate(simulator, registered, record)
        if not accepted:
            return
    record.outcome = "completed"
    balance = simulator.c2b.credit(record.shortcode, record.amount)
    if record.scenario is C2bScenario.CONFIRMATION_LOST:
        return
    body = payment_body(record, f"{balance / 100:.2f}", third_party)
    confirmation = Post.json(registered.confirmation_url, body)
    deliveries = 2 if record.scenario is C2bScenario.DUPLICATE_CONFIRMATION else 1
    for _ in range(deliveries):
        await simulator.sender.post_now(confirmation)
        record.confirmations_sent += 1


async def _validate(simulator: SimulatorState, registered: UrlSet, record: C2bPaymentRecord) -> tuple[bool, str]:
    """Whether M-PESA goes on with the payment, and the ThirdPartyTransID the validation answer set."""
    timeout = simulator.config.c2b_validation_timeout
    response = await simulator.sender.exchange(registered.validation_url, payment_body(record, "", ""), timeout)
    answer = _json(response) if response is not None and response.status_code == 200 else None
    if record.scenario is C2bScenario.VALIDATION_TIMEOUT or answer is None:
        if record.scenario is C2bScenario.VALIDATION_TIMEOUT or response is None:
            record.validation = "timed_out"
        else:
            record.validation = "unreachable"
        if registered.response_type == "Completed":
            return True, ""
        record.outcome = "cancelled"
        return False, ""
    code = str(answer.get("ResultCode", ""))
    if code == "0":
        record.validation = "accepted"
        third_party = answer.get("ThirdPartyTransID")
        return True, third_party if isinstance(third_party, str) else ""
    record.validation = f"rejected:{code}"
    record.outcome = "rejected"
    return False, ""


def payment_body(record: C2bPaymentRecord, balance: str, third_party: str) -> dict[str, str]:
    """A validation or confirmation body: flat, every value a string (docs/daraja.md#c2b-confirmation)."""
    return {
        "TransactionType": _TRANSACTION_TYPES[record.command_id],
        "TransID": record.trans_id,
        "TransTime": record.moment.strftime("%Y%m%d%H%M%S"),
        "TransAmount": f"{record.amount}.00",
        "BusinessShortCode": record.shortcode,
        "BillRefNumber": record.bill_reference,
        "InvoiceNumber": "",
        "OrgAccountBalance": balance,
        "ThirdPartyTransID": third_party,
        "MSISDN": record.msisdn_shown,
        "FirstName": record.first_name,
        "MiddleName": "",
        "LastName": "",
    }


def _json(response: Any) -> dict[str, Any] | None:
    try:
        decoded = response.json()
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None


async def authorised_json(
    request: Request[Any, Any, Any], simulator: SimulatorState, register_version: str | None
) -> dict[str, Any]:
    token, valid = simulator.token_from(request.headers.get("authorization"))
    if not valid:
        raise DarajaError(401, "401.003.01", f"Error Occurred - Invalid Access Token - {token}")
    product = simulator.config.c2b_product
    if register_version is not None and product not in ("any", register_version):
        raise DarajaError(401, "401.003.01", "Invalid Access Token - Invalid API call as no apiproduct match found")
    if not (request.headers.get("content-type") or "").lower().startswith("application/json"):
        raise invalid_field("ShortCode")
    return rules.json_object(await request.body())
