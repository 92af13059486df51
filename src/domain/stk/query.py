"""Daraja's answer to an STK Push Query (docs/daraja.md#stk-push-query): still pending, or final with a result code."""

from dataclasses import dataclass

from domain.stk.result_codes import PaymentStatus, stk_result_meaning


@dataclass(frozen=True, slots=True)
class StkQueryAnswer:
    """`result_code` is None while the customer has not answered the prompt ("The transaction is being
    processed"). A final answer carries the code as a string (the same table as callbacks) but never a receipt,
    amount or date: only the callback has those, so a query can fail or cancel a payment but cannot by itself
    record a success with its receipt."""

    checkout: str
    merchant_request: str | None = None
    result_code: str | None = None
    result_desc: str | None = None

    def __post_init__(self) -> None:
        if not self.checkout:
            raise ValueError("an STK query answer names its CheckoutRequestID")
        if self.result_code == "":
            raise ValueError("a final STK query answer carries a result code")

    @classmethod
    def pending_for(cls, checkout: str) -> "StkQueryAnswer":
        return cls(checkout)

    @property
    def pending(self) -> bool:
        return self.result_code is None

    @property
    def status(self) -> PaymentStatus:
        """What the answer means for the payment: PENDING, or the status its result code stands for."""
        if self.result_code is None:
            return PaymentStatus.PENDING
        return stk_result_meaning(self.result_code).status
