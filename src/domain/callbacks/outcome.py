from enum import StrEnum


class CallbackOutcome(StrEnum):
    """What a Daraja callback did: changed the record, repeated what was already decided, or awaits confirmation."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    # A success kept unconfirmed until Daraja's own query says how the payment ended (acknowledged to Daraja).
    HELD = "held"
    # A success Daraja's own query contradicts: not applied, answered as a refused callback.
    REFUTED = "refuted"
