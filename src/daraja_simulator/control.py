"""Test-only controls under /simulator/: not part of Daraja, so a test can observe and steer the simulator.

* `GET /simulator/health`: `{"status": "ok"}` once the simulator serves requests.
* `GET /simulator/stats`: counters: STK pushes (total, per PhoneNumber), B2C payment requests (total, per
  OriginatorConversationID), callbacks sent / failed / still scheduled.
* `POST /simulator/tokens/expire`: every issued token stops working at once ("token expires mid-flight").
* `POST /simulator/reset`: forgets transactions, payouts, counters and scheduled callbacks; tokens stay valid.
* `GET /simulator/certificate`: PEM of the certificate B2C SecurityCredentials must be encrypted with.
"""

from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency

from daraja_simulator.state import SimulatorState


@get("/simulator/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/simulator/stats")
async def stats(simulator: NamedDependency[SimulatorState]) -> dict[str, Any]:
    return simulator.ledger.stats(scheduled_deliveries=simulator.sender.scheduled)


@post("/simulator/tokens/expire", status_code=200)
async def expire_tokens(simulator: NamedDependency[SimulatorState]) -> dict[str, str]:
    simulator.ledger.expire_tokens()
    return {"status": "expired"}


@post("/simulator/reset", status_code=200)
async def reset(simulator: NamedDependency[SimulatorState]) -> dict[str, str]:
    simulator.sender.cancel_all()
    simulator.ledger.reset()
    return {"status": "reset"}


@get("/simulator/certificate")
async def certificate(simulator: NamedDependency[SimulatorState]) -> Response[bytes]:
    return Response(simulator.credentials.certificate_pem(), media_type="application/x-pem-file")


CONTROL_HANDLERS = [health, stats, expire_tokens, reset, certificate]
