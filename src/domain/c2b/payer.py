"""Who paid, as Safaricom now tells it: plain, masked or hashed (docs/c2b.md, "The payer's number")."""

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_PLAIN = re.compile(r"254[0-9]{9}")


class PayerForm(StrEnum):
    PLAIN = "plain"
    MASKED = "masked"
    SHA256 = "sha256"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Payer:
    """The MSISDN field kept exactly as received (an opaque string, never a Phone) and the form it came in."""

    msisdn: str

    @property
    def form(self) -> PayerForm:
        value = self.msisdn.strip()
        if _SHA256_HEX.fullmatch(value):
            return PayerForm.SHA256
        if "*" in value:
            return PayerForm.MASKED
        if _PLAIN.fullmatch(value):
            return PayerForm.PLAIN
        return PayerForm.OTHER

    @property
    def masked(self) -> str:
        """Safe for logs: a plain number keeps its first 4 and last 3 digits, a hash its first 8 characters."""
        value = self.msisdn.strip()
        form = self.form
        if form is PayerForm.PLAIN:
            return f"{value[:4]}*****{value[-3:]}"
        if form is PayerForm.SHA256:
            return f"sha256:{value[:8].lower()}…"
        if form is PayerForm.MASKED:
            return value
        return f"<{len(value)} characters>"

    def may_be(self, msisdn: str) -> bool:
        """Whether this payer may be the Daraja-form `msisdn` (2547…): equal, same hash, or same visible digits."""
        value = self.msisdn.strip()
        form = self.form
        if form is PayerForm.PLAIN:
            return value == msisdn
        if form is PayerForm.SHA256:
            return hashlib.sha256(msisdn.encode("ascii")).hexdigest() == value.lower()
        if form is PayerForm.MASKED:
            compact = value.replace(" ", "")
            head, _, tail = compact.partition("*")
            tail = tail.lstrip("*")
            return len(compact) == len(msisdn) and msisdn.startswith(head) and msisdn.endswith(tail)
        return False


def stored_forms_of(msisdn: str) -> list[str]:
    """The forms Daraja may have sent the Daraja-form `msisdn` (2547…) in: plain, its SHA-256 (hex) and masked as
    Safaricom masks it (its first 4 and last 3 digits), to look a payer up by; a masked match may be another
    customer with the same visible digits (`Payer.may_be` says so of each)."""
    return [msisdn, hashlib.sha256(msisdn.encode("ascii")).hexdigest(), f"{msisdn[:4]} ***** {msisdn[-3:]}"]
