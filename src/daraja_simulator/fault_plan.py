"""What `POST /simulator/faults` asks for (documented in `daraja_simulator.control`), checked, and the answer a
failed request gets."""

import http
from dataclasses import dataclass, fields

import msgspec

from daraja_simulator.errors import DarajaError
from daraja_simulator.identifiers import request_id

CONTROL_PREFIX = "/simulator/"
_MAX_SECONDS = 60.0
# What a test gets with {"malformed": true}: a JSON document cut short, labelled as JSON.
MALFORMED_BODY = b'{"ResponseCode": "0", "ResponseDescription": "Accept'


@dataclass(frozen=True, slots=True)
class FaultPlan:
    path: str | None = None
    fail_next: int = 0
    status: int | None = None
    malformed: bool = False
    drop_after_processing: int = 0
    delay_seconds: float = 0.0
    delay_count: int | None = None
    refuse_connections: bool = False
    refuse_seconds: float = 2.0

    @classmethod
    def from_json(cls, body: object) -> "FaultPlan":
        """The plan a control request asks for; ValueError names what is wrong with it."""
        if not isinstance(body, dict):
            raise ValueError("the fault plan is a JSON object")
        unknown = set(body) - {each.name for each in fields(cls)}
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        try:
            plan = msgspec.convert(body, cls)
        except msgspec.ValidationError as error:
            raise ValueError(str(error)) from None
        plan._check()
        return plan

    def _check(self) -> None:
        if self.path is not None and (not self.path.startswith("/") or self.path.startswith(CONTROL_PREFIX)):
            raise ValueError("path must be a Daraja path such as /mpesa/stkpushquery/v1/query")
        if min(self.fail_next, self.drop_after_processing) < 0 or (self.delay_count or 0) < 0:
            raise ValueError("counts are never negative")
        if self.status is not None and not 400 <= self.status <= 599 and not (self.malformed and self.status == 200):
            raise ValueError("status is 400-599 (or 200 with malformed)")
        if not 0 <= self.delay_seconds <= _MAX_SECONDS or not 0 < self.refuse_seconds <= _MAX_SECONDS:
            raise ValueError(f"delay_seconds and refuse_seconds are at most {_MAX_SECONDS}")

    def covers(self, path: str) -> bool:
        return self.path is None or self.path == path

    def failure_answer(self) -> tuple[int, bytes]:
        """Status and body for a request `fail_next` answers."""
        if self.malformed:
            return self.status or 200, MALFORMED_BODY
        status = self.status or 500
        return status, msgspec.json.encode(_error_for(status).body())


def _error_for(status: int) -> DarajaError:
    if status == 500:
        return DarajaError(500, "500.003.1001", "Internal Server Error")
    if status == 429:
        # Daraja's documented throttling answer, on the status a rate limiter in front of it uses.
        return DarajaError(429, "500.003.02", "Spike Arrest Violation")
    # Simulator-only: Daraja documents no body for other statuses; the reason phrase stands in.
    return DarajaError(status, f"{status}.000.00", http.HTTPStatus(status).phrase, request_id())
