"""Test and demo controls for C2B, under /simulator/c2b/ (not part of Daraja; docs/simulator.md, "C2B"):

* `POST /simulator/c2b/pay` with `{"account": "INV-1", "amount": 100}` and optionally `msisdn` (default
  254708374149), `shortcode` (default: the only one with URLs registered, else 600984), `till: true` (Buy Goods, no
  account), `scenario` (normal, validation_timeout, duplicate_confirmation, confirmation_lost, wrong_account) and
  `wait` (default true: answer once validation and confirmation are done). Answers the payment as the simulator
  recorded it: `trans_id`, `outcome` (completed, rejected, cancelled, pending), `validation`, `confirmations_sent`.
* `GET /simulator/c2b/payments`: every simulated C2B payment, oldest first.
* `GET /simulator/c2b/registrations`: the URLs registered per shortcode, and the shortcodes registered for Pull.
"""

from typing import Any

from litestar import get, post
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import JSONBody

from daraja_simulator.c2b import complete_payment, new_payment
from daraja_simulator.c2b_ledger import C2bScenario
from daraja_simulator.state import SimulatorState

DEFAULT_MSISDN = "254708374149"
DEFAULT_SHORTCODE = "600984"
_FIELDS = frozenset({"account", "amount", "msisdn", "shortcode", "till", "scenario", "wait"})


@post("/simulator/c2b/pay", status_code=200)
async def pay(data: JSONBody[dict[str, Any]], simulator: NamedDependency[SimulatorState]) -> dict[str, Any]:
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ValidationException(detail=f"unknown fields: {', '.join(unknown)}")
    till = data.get("till", False) is True
    amount, account = data.get("amount"), data.get("account", "")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise ValidationException(detail="amount must be a whole number of shillings, at least 1")
    if not isinstance(account, str) or len(account) > 20 or (not till and not account):
        raise ValidationException(detail="account must be the account number typed, 1 to 20 characters")
    try:
        scenario = C2bScenario(data.get("scenario", "normal"))
    except ValueError:
        raise ValidationException(detail=f"scenario must be one of {[s.value for s in C2bScenario]}") from None
    msisdn = str(data.get("msisdn", DEFAULT_MSISDN))
    if not (msisdn.isdigit() and len(msisdn) == 12 and msisdn.startswith("254")):
        raise ValidationException(detail="msisdn must be 2547XXXXXXXX or 2541XXXXXXXX")
    registered = list(simulator.c2b.urls)
    shortcode = str(data.get("shortcode") or (registered[0] if len(registered) == 1 else DEFAULT_SHORTCODE))
    command_id = "CustomerBuyGoodsOnline" if till else "CustomerPayBillOnline"
    record = new_payment(simulator, shortcode, command_id, amount, msisdn, account, scenario)
    if data.get("wait", True) is False:
        simulator.sender.run(lambda: complete_payment(simulator, record))
    else:
        await complete_payment(simulator, record)
    return record.view()


@get("/simulator/c2b/payments")
async def payments(simulator: NamedDependency[SimulatorState]) -> dict[str, Any]:
    return {"payments": [p.view() for p in simulator.c2b.payments]}


@get("/simulator/c2b/registrations")
async def registrations(simulator: NamedDependency[SimulatorState]) -> dict[str, Any]:
    return {
        "urls": {
            code: {
                "version": urls.version,
                "response_type": urls.response_type,
                "confirmation_url": urls.confirmation_url,
                "validation_url": urls.validation_url,
            }
            for code, urls in simulator.c2b.urls.items()
        },
        "pull": sorted(simulator.c2b.pull_registered),
    }


C2B_CONTROL_HANDLERS = [pay, payments, registrations]
