"""What a client may do: the claims of its capability token (or of a plain subject in open mode), and their rules."""

import re
from dataclasses import dataclass
from datetime import datetime

from domain.shared.errors import LimitExceededError, UnauthorizedError, ValidationError
from domain.shared.phone import Phone

STK = "stk"
B2C = "b2c"
# Watching the C2B payments and payment requests of the subject: read only, like an STK payment's status.
C2B = "c2b"
SCOPES = frozenset({STK, B2C, C2B})
# A subject becomes the topic and the stored `hash` field: no slash, nothing a log or a URL would mangle.
_SUBJECT = re.compile(r"^[A-Za-z0-9_.:@+=-]{1,128}$")


def valid_subject(subject: object) -> bool:
    return isinstance(subject, str) and _SUBJECT.match(subject) is not None


@dataclass(frozen=True, slots=True)
class Capability:
    subject: str
    scopes: frozenset[str]
    expires_at: datetime | None = None
    max_withdrawal: int | None = None
    phone: Phone | None = None

    def require_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise UnauthorizedError(f"the token does not grant the {scope} scope")

    def require_live(self, now: datetime) -> None:
        if self.expires_at is not None and now >= self.expires_at:
            raise UnauthorizedError("the token has expired: reconnect with a fresh one")

    def permit_push(self, phone: object, now: datetime) -> None:
        self.require_live(now)
        self.require_scope(STK)
        self._require_phone(phone)

    def permit_withdrawal(self, phone: object, amount: object, now: datetime) -> None:
        self.require_live(now)
        self.require_scope(B2C)
        self._require_phone(phone)
        whole = isinstance(amount, int) and not isinstance(amount, bool)
        if self.max_withdrawal is not None and whole and amount > self.max_withdrawal:  # type: ignore[operator]
            raise LimitExceededError(f"amount: the token allows withdrawals of at most {self.max_withdrawal}")

    def _require_phone(self, phone: object) -> None:
        if self.phone is None:
            return
        try:
            asked = Phone.parse(phone)
        except ValidationError:
            return  # the use-case reports the malformed phone as it always does
        if asked != self.phone:
            raise UnauthorizedError("the token is bound to another phone")
