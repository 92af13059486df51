"""How a field of a client view reads in the protocol documents, said next to the field.

The views a client is sent (`Payment.view()`, `Withdrawal.view()`, `PaymentRequest.view()`, `C2bPayment.view()`)
are TypedDicts; each field is `Annotated` with a `Described`. That is their one declaration of shape: the entrypoints
generate the AsyncAPI document's schemas from these TypedDicts, and mypy holds each `view()` to its TypedDict.
"""

from dataclasses import dataclass
from enum import Enum
from typing import Annotated


@dataclass(frozen=True, slots=True)
class Described:
    """A view field's words and the constraints a client may rely on."""

    text: str | None = None
    moment: bool = False  # the str is an ISO 8601 moment with a time zone
    pattern: str | None = None
    minimum: int | None = None
    choices: type[Enum] | None = None  # the str is one of this enum's values


Moment = Annotated[str, Described("ISO 8601, UTC, millisecond precision.", moment=True)]
ZonedMoment = Annotated[str, Described("ISO 8601 with a time zone.", moment=True)]
Msisdn = Annotated[str, Described("The phone, normalised: 2547… or 2541….", pattern=r"^254[17][0-9]{8}$")]
Shillings = Annotated[int, Described("Whole Kenyan shillings.", minimum=1)]
RecordVersion = Annotated[
    int,
    Described(
        "Counts the record's stored changes: of two states of one record (in updates and replies alike) "
        "the higher version is the newer. Updates never go back to a lower one (see the update message).",
        minimum=0,
    ),
]
MerchantMetadata = dict[str, str | int | float | bool | None]
