import re
from dataclasses import dataclass

from domain.shared.errors import ValidationError

# Safaricom M-PESA lines: 07XX and 01XX ranges, written in any of the usual local or international forms.
_LOCAL_FORMS = re.compile(r"^(?:\+?254|0)?(?P<subscriber>[71][0-9]{8})$")


@dataclass(frozen=True, slots=True)
class Phone:
    """A Kenyan M-PESA number in Daraja's form: 2547XXXXXXXX or 2541XXXXXXXX."""

    msisdn: str

    @classmethod
    def parse(cls, raw: object, field: str = "phone") -> "Phone":
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise ValidationError(field, "must be a phone number string such as 0712345678 or 254712345678")
        match = _LOCAL_FORMS.match(str(raw).strip().replace(" ", ""))
        if match is None:
            raise ValidationError(field, "must be a Kenyan M-PESA number (07…, 01…, 2547…, 2541…, +254…)")
        return cls("254" + match["subscriber"])

    @property
    def masked(self) -> str:
        return f"{self.msisdn[:4]}****{self.msisdn[-4:]}"

    def __str__(self) -> str:
        return self.msisdn
