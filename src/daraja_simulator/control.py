"""Test-only controls under /simulator/: not part of Daraja, so a test can observe and steer the simulator.

* `GET /simulator/health`: `{"status": "ok"}` once the simulator serves requests.
* `GET /simulator/stats`: counters: every request to a Daraja path (total, per path: counted on arrival, so
  requests a fault answered count too), STK pushes (total, per PhoneNumber), B2C payment requests (total, per
  OriginatorConversationID), callbacks sent / failed / still scheduled, and the faults applied so far.
* `POST /simulator/tokens/expire`: every issued token stops working at once ("token expires mid-flight").
* `POST /simulator/reset`: forgets transactions, payouts, C2B registrations and payments, counters, scheduled callbacks
  and faults; tokens stay valid.
* `GET /simulator/balances`: the simulated accounts' available balances in KES (what an Account Balance query
  reports). `POST /simulator/balances` with `{"<account name>": "<KES>", ...}` sets those accounts (e.g.
  `{"Utility Account": "500.00"}` for a low balance); 400 for an amount that is not KES with at most two decimals.
  Reset restores the opening balances (SIM_UTILITY_BALANCE sets the Utility Account's).
* `GET /simulator/certificate`: PEM of the certificate B2C SecurityCredentials must be encrypted with.
* `POST /simulator/body-forms` with `{"<dimension>": "<form>" or ["<form>", ...], ...}`: the forms the bodies sent
  from now on may take, per dimension named (the others stay as they are); several forms are drawn from at random
  with the run's seed. 400 for an unknown dimension or form. `GET /simulator/body-forms` shows them all. Reset
  restores what SIM_BODY_FORMS set. Dimensions and forms: `daraja_simulator.body_forms.DIMENSIONS`.

Faults on Daraja's paths (OAuth, STK push and query, B2C, Transaction Status; never /simulator/*):

* `POST /simulator/faults` with a JSON object sets the fault plan, replacing the previous one (a setting left out
  is off). 400 for an unknown setting or a bad value. The settings:

  - `path`: only requests to this exact path are affected, e.g. `"/oauth/v1/generate"`; default: every Daraja
    path. (A real refusal closes the whole port whatever the path.)
  - `fail_next` N: the next N requests are answered at once, *without being processed* (nothing recorded, no
    callback).
  - `status`: the status of those answers. Default 500, with body `500.003.1001 Internal Server Error`; 429 carries
    Daraja's throttling body `500.003.02 Spike Arrest Violation`; any other 4xx/5xx a `"<status>.000.00"` body
    with the reason phrase (simulator-only).
  - `malformed`: those answers carry a JSON document cut short (`Content-Type: application/json`); the status then
    defaults to 200.
  - `drop_after_processing` N: the next N requests are processed in full (recorded, callback scheduled), then the
    connection is closed with no answer at all, not even a status line.
  - `delay_seconds` x: requests are processed at once and their answer is held back x seconds (at most 60).
  - `delay_count` N: only the next N requests are delayed; default: every request while the plan stands.
  - `refuse_connections`: `true` stops listening, so connecting fails (connection refused) for `refuse_seconds`
    (default 2, at most 60), then the simulator listens again on the same port; `false` listens again now.

  `fail_next` comes first: a request it answers is neither delayed nor dropped. A request both delayed and dropped
  is held back, then dropped. While connections are refused, /simulator/* cannot be reached either (that is why
  the refusal is always time-boxed); a request still arriving on a connection opened earlier is cut off unanswered.
  Refusal is real only when the server registered its listener (`daraja_simulator.server.attach_listener`, done
  by `python -m daraja_simulator` and `mpesa-gateway simulator`); an app served otherwise cuts every request off
  unanswered instead, which a client cannot tell from a dropped answer.
* `GET /simulator/faults`: the plan as it stands (counts consumed so far), whether connections are refused, and
  how many requests each kind of fault has affected.
* `DELETE /simulator/faults`: no faults any more; connections are accepted again.
"""

from typing import Any

from litestar import Response, delete, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import JSONBody

from daraja_simulator.config import kes_cents
from daraja_simulator.fault_plan import FaultPlan
from daraja_simulator.state import SimulatorState


@get("/simulator/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/simulator/stats")
async def stats(simulator: NamedDependency[SimulatorState]) -> dict[str, Any]:
    return {
        **simulator.ledger.stats(scheduled_deliveries=simulator.sender.scheduled),
        "faults": dict(simulator.faults.counts),
        "c2b": simulator.c2b.stats(),
    }


@post("/simulator/tokens/expire", status_code=200)
async def expire_tokens(simulator: NamedDependency[SimulatorState]) -> dict[str, str]:
    simulator.ledger.expire_tokens()
    return {"status": "expired"}


@post("/simulator/reset", status_code=200)
async def reset(simulator: NamedDependency[SimulatorState]) -> dict[str, str]:
    simulator.sender.cancel_all()
    simulator.ledger.reset()
    simulator.c2b.reset()
    simulator.forms.reset()
    await simulator.faults.clear()
    return {"status": "reset"}


@get("/simulator/certificate")
async def certificate(simulator: NamedDependency[SimulatorState]) -> Response[bytes]:
    return Response(simulator.credentials.certificate_pem(), media_type="application/x-pem-file")


@post("/simulator/faults", status_code=200)
async def set_faults(data: JSONBody[dict[str, Any]], simulator: NamedDependency[SimulatorState]) -> dict[str, Any]:
    try:
        plan = FaultPlan.from_json(data)
    except ValueError as error:
        raise ValidationException(detail=str(error)) from None
    await simulator.faults.apply(plan)
    return simulator.faults.describe()


@get("/simulator/faults")
async def show_faults(simulator: NamedDependency[SimulatorState]) -> dict[str, Any]:
    return simulator.faults.describe()


@delete("/simulator/faults", status_code=200)
async def clear_faults(simulator: NamedDependency[SimulatorState]) -> dict[str, Any]:
    await simulator.faults.clear()
    return simulator.faults.describe()


@post("/simulator/body-forms", status_code=200)
async def set_body_forms(
    data: JSONBody[dict[str, Any]], simulator: NamedDependency[SimulatorState]
) -> dict[str, list[str]]:
    try:
        simulator.forms.allow(data)
    except ValueError as error:
        raise ValidationException(detail=str(error)) from None
    return simulator.forms.describe()


@get("/simulator/body-forms")
async def show_body_forms(simulator: NamedDependency[SimulatorState]) -> dict[str, list[str]]:
    return simulator.forms.describe()


@get("/simulator/balances")
async def show_balances(simulator: NamedDependency[SimulatorState]) -> dict[str, str]:
    return simulator.ledger.balances.view()


@post("/simulator/balances", status_code=200)
async def set_balances(data: JSONBody[dict[str, Any]], simulator: NamedDependency[SimulatorState]) -> dict[str, str]:
    try:
        amounts = {str(name)[:64]: kes_cents(value, str(name)) for name, value in data.items()}
    except ValueError as error:
        raise ValidationException(detail=str(error)) from None
    for name, cents in amounts.items():
        simulator.ledger.balances.set(name, cents)
    return simulator.ledger.balances.view()


CONTROL_HANDLERS = [
    show_balances,
    set_balances,
    health,
    stats,
    expire_tokens,
    reset,
    certificate,
    set_faults,
    show_faults,
    clear_faults,
    set_body_forms,
    show_body_forms,
]
