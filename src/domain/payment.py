"""An STK payment and its state machine: pending → success | failed | cancelled | timeout, final once left."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.amount import Amount
from domain.description import Description
from domain.errors import CallbackRejectedError, PaymentFinalError
from domain.phone import Phone
from domain.result_codes import SUCCESS_CODE, PaymentStatus, stk_result_meaning


@dataclass(frozen=True, slots=True)
class StkPushRequest:
    """What Daraja needs to prompt a phone; `callback_token` names the payment in the callback URL."""

    phone: Phone
    amount: Amount
    description: Description
    account_reference: str
    callback_token: str


@dataclass(frozen=True, slots=True)
class StkPushAccepted:
    merchant_request: str
    checkout: str


@dataclass(frozen=True, slots=True)
class StkResult:
    """Daraja's final word on one push, from its callback (or, later, from an STK query)."""

    merchant_request: str
    checkout: str
    result_code: str
    result_desc: str
    receipt: str | None = None
    amount: int | None = None
    phone: str | None = None
    transaction_date: str | None = None


@dataclass(slots=True)
class Payment:
    id: str
    hash: str
    phone: Phone
    amount: Amount
    description: Description
    callback_token: str
    created_at: datetime
    updated_at: datetime
    status: PaymentStatus = PaymentStatus.PENDING
    checkout: str | None = None
    merchant_request: str | None = None
    result_code: str | None = None
    result_desc: str | None = None
    receipt: str | None = None
    transaction_date: str | None = None
    outcome_unknown: bool = False
    version: int = field(default=0, compare=False)

    @classmethod
    def start(
        cls,
        *,
        payment_id: str,
        hash_: str,
        phone: Phone,
        amount: Amount,
        description: Description,
        callback_token: str,
        now: datetime,
    ) -> "Payment":
        return cls(payment_id, hash_, phone, amount, description, callback_token, now, now)

    def stk_request(self) -> StkPushRequest:
        return StkPushRequest(self.phone, self.amount, self.description, self.id[:12], self.callback_token)

    def accept(self, accepted: StkPushAccepted, now: datetime) -> None:
        self._ensure_pending()
        self.checkout, self.merchant_request = accepted.checkout, accepted.merchant_request
        self.updated_at = now

    def reject(self, code: str, description: str, now: datetime) -> None:
        """Daraja refused the push, or it never reached Daraja: no prompt, no money."""
        self._finish(PaymentStatus.FAILED, code, description, now)

    def mark_outcome_unknown(self, now: datetime) -> None:
        self._ensure_pending()
        self.outcome_unknown = True
        self.updated_at = now

    def settle(self, result: StkResult, now: datetime) -> None:
        """Apply Daraja's result.

        Raises PaymentFinalError once final, and CallbackRejectedError when the result names another payment.
        """
        self._ensure_pending()
        self._ensure_describes_me(result)
        self.checkout, self.merchant_request = result.checkout, result.merchant_request
        self.outcome_unknown = False
        meaning = stk_result_meaning(result.result_code)
        if meaning.status is PaymentStatus.SUCCESS:
            self.receipt, self.transaction_date = result.receipt, result.transaction_date
        self._finish(meaning.status, result.result_code, result.result_desc, now)

    def view(self) -> dict[str, Any]:
        """The payment as every client sees it, in replies and updates alike."""
        return {
            "id": self.id,
            "checkout": self.checkout,
            "merchant_request": self.merchant_request,
            "status": self.status.value,
            "phone": self.phone.msisdn,
            "amount": self.amount.shillings,
            "description": self.description.text,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "result_code": self.result_code,
            "result_desc": self.result_desc,
            "receipt": self.receipt,
            "transaction_date": self.transaction_date,
            "outcome_unknown": self.outcome_unknown,
            "message": stk_result_meaning(self.result_code).message if self.result_code is not None else None,
        }

    def _finish(self, status: PaymentStatus, code: str, description: str, now: datetime) -> None:
        self._ensure_pending()
        self.status, self.result_code, self.result_desc, self.updated_at = status, code, description, now

    def _ensure_pending(self) -> None:
        if self.status.is_final:
            raise PaymentFinalError(f"payment {self.id} is already {self.status.value}")

    def _ensure_describes_me(self, result: StkResult) -> None:
        if self.checkout is not None and result.checkout != self.checkout:
            raise CallbackRejectedError("the callback names another CheckoutRequestID")
        if self.merchant_request is not None and result.merchant_request != self.merchant_request:
            raise CallbackRejectedError("the callback names another MerchantRequestID")
        if result.result_code != SUCCESS_CODE:
            return
        if result.amount != self.amount.shillings:
            raise CallbackRejectedError("the callback's amount differs from the payment's")
        if result.phone is not None and result.phone != self.phone.msisdn:
            raise CallbackRejectedError("the callback's phone differs from the payment's")
        if not result.receipt:
            raise CallbackRejectedError("a successful callback must carry a receipt number")
