"""The forms Daraja's bodies are seen in (docs/daraja.md), and which one each body the simulator sends takes.

Each dimension lists its forms, the first being the one Safaricom's own pages show (for `expires_in`, the string
seen in practice). By default every body takes the first form. `SIM_BODY_FORMS=varied` lets every body take any
form of every dimension, drawn from a random generator seeded with `SIM_BODY_SEED` (logged at start, so a run can
be replayed); `POST /simulator/body-forms` narrows or widens the forms allowed per dimension while running.

A form that drops information the gateway records (`b2c_parameters: single_object`, which keeps only
TransactionAmount and leaves the receipt to TransactionID) is never drawn at random, only when asked for alone.
"""

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DIMENSIONS: dict[str, tuple[str, ...]] = {
    # STK push, STK query and B2C synchronous answers: "0" (Safaricom's samples) or 0 (mpesakit's schemas).
    "response_code": ("text", "number"),
    # The STK query's "still processing" error body: requestId/errorCode/errorMessage, or RequestID/ErrorCode/...
    "pending_keys": ("camel", "pascal"),
    # Transaction Status Amount, InitiatedTime and FinalisedTime: strings in Safaricom's sample, numbers elsewhere.
    "status_values": ("text", "number"),
    # STK callback Amount and B2C TransactionAmount: 1 or 1.00 (msgspec writes 1.0).
    "amount": ("integer", "decimal"),
    # The STK callback's Balance item: present without a Value, or left out.
    "balance_item": ("no_value", "absent"),
    # B2C ResultParameters: {"ResultParameter": [...]}, a bare list, or ResultParameter as one object.
    "b2c_parameters": ("wrapped_list", "bare_list", "single_object"),
    # OAuth expires_in: "3599" as clients record it, or 3599 as the official page shows it.
    "expires_in": ("text", "number"),
}
_NEVER_DRAWN = {"b2c_parameters": frozenset({"single_object"})}


@dataclass(frozen=True, slots=True)
class BodyForms:
    """The forms one body is written in."""

    response_code: str = "text"
    pending_keys: str = "camel"
    status_values: str = "text"
    amount: str = "integer"
    balance_item: str = "no_value"
    b2c_parameters: str = "wrapped_list"
    expires_in: str = "text"


class BodyFormPicker:
    def __init__(self, varied: bool = False, seed: int = 0) -> None:
        self._random = random.Random(seed)
        self._defaults = dict(DIMENSIONS) if varied else {name: (forms[0],) for name, forms in DIMENSIONS.items()}
        self._allowed = dict(self._defaults)

    def pick(self) -> BodyForms:
        chosen: dict[str, str] = {}
        for name, forms in self._allowed.items():
            drawable = [form for form in forms if len(forms) == 1 or form not in _NEVER_DRAWN.get(name, ())]
            chosen[name] = drawable[0] if len(drawable) == 1 else self._random.choice(drawable)
        return BodyForms(**chosen)

    def allow(self, settings: Mapping[str, Any]) -> None:
        """Replaces the forms allowed for the dimensions named; ValueError for an unknown one or an empty list."""
        allowed = dict(self._allowed)
        for name, forms in settings.items():
            if name not in DIMENSIONS:
                raise ValueError(f"unknown body-form dimension {name!r}; known: {', '.join(DIMENSIONS)}")
            listed = [forms] if isinstance(forms, str) else forms
            if not isinstance(listed, list) or not listed or any(form not in DIMENSIONS[name] for form in listed):
                raise ValueError(f"{name} takes one or more of {', '.join(DIMENSIONS[name])}")
            allowed[name] = tuple(dict.fromkeys(listed))
        self._allowed = allowed

    def reset(self) -> None:
        self._allowed = dict(self._defaults)

    def describe(self) -> dict[str, list[str]]:
        return {name: list(forms) for name, forms in self._allowed.items()}
