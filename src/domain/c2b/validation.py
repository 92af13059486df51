"""The merchant's rule for Daraja's validation call, and the answer codes Daraja knows (docs/c2b.md, "Validation")."""

from dataclasses import dataclass
from enum import StrEnum


class ValidationRule(StrEnum):
    ACCEPT_ALL = "accept_all"
    KNOWN_REFERENCES = "known_references"
    EXACT_AMOUNT = "exact_amount"


class ValidationCode(StrEnum):
    """Daraja's ResultCode values for a validation answer; each rejection gives the customer its own SMS."""

    ACCEPTED = "0"
    INVALID_MSISDN = "C2B00011"
    INVALID_ACCOUNT_NUMBER = "C2B00012"
    INVALID_AMOUNT = "C2B00013"
    INVALID_KYC_DETAILS = "C2B00014"
    INVALID_SHORTCODE = "C2B00015"
    OTHER_ERROR = "C2B00016"


@dataclass(frozen=True, slots=True)
class ValidationDecision:
    code: ValidationCode
    reason: str
    # True when the store did not answer in time and the default rule decided.
    by_default: bool = False

    @property
    def accepted(self) -> bool:
        return self.code is ValidationCode.ACCEPTED

    @property
    def result_desc(self) -> str:
        return "Accepted" if self.accepted else "Rejected"


ACCEPT = ValidationDecision(ValidationCode.ACCEPTED, "accepted")
