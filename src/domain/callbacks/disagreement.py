"""Which anomaly a callback that was not applied is: what the callback use-cases of every capability share.

A repeat that agrees with the final record is no anomaly. One that names other Daraja ids is refused (the token
alone does not make it genuine); a success for a record final without one means money may have moved; any other
differing result code is a disagreement. The rules for each kind of record are its capability's
(domain/stk/callback_anomalies.py, domain/b2c/callback_anomalies.py).
"""

from dataclasses import dataclass

from domain.callbacks.anomaly import AnomalyKind


@dataclass(frozen=True, slots=True)
class Disagreement:
    kind: AnomalyKind
    reason: str


def differs(code: str, status: str, stored_code: str | None) -> Disagreement:
    """A callback whose result code differs from the stored record's."""
    reason = f"the callback says result code {code}; the record is {status} with code {stored_code}"
    return Disagreement(AnomalyKind.DUPLICATE_DISAGREES, reason)
