from enum import StrEnum


class CallbackOutcome(StrEnum):
    """What a Daraja callback did: changed the record, or repeated what was already decided."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
