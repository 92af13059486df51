"""An STK payment and its state machine: pending → success | failed | cancelled | timeout, final once left.

Every change of state is appended to `history` with its cause. While it is pending with a CheckoutRequestID, the
reconciler queries it from `next_check_at` on (docs/daraja.md#stk-push-query); a push whose answer was lost has no
CheckoutRequestID, cannot be queried, and waits for its callback. So does a push whose process died between
recording it and Daraja's answer: nothing stored says so, so once it is older than any push can take
(`UNANSWERED_PUSH_AFTER`) it is shown as `outcome_unknown` (`view_as_of`), never sent again.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, NotRequired, TypedDict

from domain.callbacks.received_callback import AppliedCallback
from domain.shared.amount import Amount
from domain.shared.check_schedule import STK_FIRST_CHECK_AFTER
from domain.shared.client_view import Described, MerchantMetadata, Moment, Msisdn, RecordVersion, Shillings
from domain.shared.description import Description
from domain.shared.errors import CallbackRejectedError, PaymentFinalError
from domain.shared.merchant_data import STK_REFERENCE_LENGTH, MerchantReference, Metadata
from domain.shared.phone import Phone
from domain.shared.status_change import ChangeCause, StatusChange
from domain.stk.query import StkQueryAnswer
from domain.stk.result_codes import SUCCESS_CODE, PaymentStatus, stk_result_meaning

RECEIPT_NOT_QUERIED = "receipt not reported by STK query"
# Longer than a push can wait for Daraja's answer (DARAJA_TIMEOUT, 30 s, plus the token request): a pending payment
# still without a CheckoutRequestID after this is not a push in flight (STK_OUTCOME_UNKNOWN_AFTER_SECONDS).
UNANSWERED_PUSH_AFTER = timedelta(minutes=2)


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


class PaymentView(TypedDict):
    """An STK payment, in replies and updates alike. Only `pending` ever changes."""

    id: Annotated[str, Described("The gateway's payment id.")]
    checkout: Annotated[str | None, Described("Daraja's CheckoutRequestID; null until Daraja answers the push.")]
    merchant_request: Annotated[str | None, Described("Daraja's MerchantRequestID.")]
    status: Annotated[str, Described("pending until M-PESA's result; then final.", choices=PaymentStatus)]
    phone: Msisdn
    amount: Shillings
    description: Annotated[str, Described("As stored: the full description (Daraja was sent the first 13 characters).")]
    created_at: Moment
    updated_at: Moment
    result_code: Annotated[str | None, Described('M-PESA\'s ResultCode once final; "0" is the only success.')]
    result_desc: Annotated[str | None, Described("M-PESA's ResultDesc once final.")]
    receipt: Annotated[str | None, Described("On success: the M-PESA receipt number.")]
    transaction_date: Annotated[str | None, Described("On success: Daraja's TransactionDate (YYYYMMDDHHmmss).")]
    outcome_unknown: Annotated[
        bool, Described("true while Daraja's answer to the push was lost: the callback will decide it.")
    ]
    message: Annotated[str | None, Described("A sentence for the result code, fit to show a customer.")]
    reference: Annotated[str | None, Described("The merchant's reference from the request; null when none was given.")]
    metadata: Annotated[
        MerchantMetadata | None,
        Described("The merchant's metadata from the request, as given; null when none was given."),
    ]
    reversal_id: Annotated[
        str | None,
        Described("The reversal that refunded this payment (docs/reversals.md); null unless M-PESA reversed it."),
    ]
    version: RecordVersion
    age_seconds: NotRequired[
        Annotated[
            int,
            Described(
                "Only in a socket's catch-up, on a pending payment: seconds since it was created. A pending push "
                "with no `checkout` older than STK_OUTCOME_UNKNOWN_AFTER_SECONDS is shown with outcome_unknown.",
                minimum=0,
            ),
        ]
    ]


@dataclass(slots=True)
class Payment:
    id: str
    subject: str
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
    # A success callback waiting for Daraja's STK query to confirm it (CONFIRM_SUCCESS_CALLBACKS): its receipt is
    # applied only once the query says success; never shown to clients.
    unconfirmed_success: StkResult | None = None
    # When the reconciler may query it next, and how often it has: scheduling, not state (no history entry).
    next_check_at: datetime | None = None
    check_attempts: int = 0
    # The merchant's own: `reference` is Daraja's AccountReference, `metadata` never leaves the gateway.
    reference: MerchantReference | None = None
    metadata: Metadata | None = None
    # Until when this payment's PIN prompt holds its phone (one open prompt per phone), given by the prompt gate;
    # a final payment, or one past this time, holds nothing. Not state: no history entry, never shown to clients.
    phone_held_until: datetime | None = None
    # The reversal that gave this payment's money back (docs/reversals.md): set once, when M-PESA reports it done.
    # Not a state of its own: a reversed payment stays `success`, the payment M-PESA once completed.
    reversal_id: str | None = None
    # The callback that applied to it (its first to change it), as received: written by the same conditional write
    # that applied it, instead of a journal entry. Audit, not state: no history entry, never shown to clients.
    applied_callback: AppliedCallback | None = field(default=None, compare=False)
    history: list[StatusChange] = field(default_factory=list)
    version: int = field(default=0, compare=False)

    @classmethod
    def start(
        cls,
        *,
        payment_id: str,
        subject: str,
        phone: Phone,
        amount: Amount,
        description: Description,
        callback_token: str,
        now: datetime,
        reference: MerchantReference | None = None,
        metadata: Metadata | None = None,
    ) -> "Payment":
        payment = cls(payment_id, subject, phone, amount, description, callback_token, now, now)
        payment.reference, payment.metadata = reference, metadata
        payment._record(now, ChangeCause.REQUEST)
        return payment

    def holds_phone(self) -> bool:
        """Whether this payment, as of its latest change, still holds its phone against a second open prompt."""
        held_until = self.phone_held_until
        return held_until is not None and not self.status.is_final and self.updated_at < held_until

    def stk_request(self) -> StkPushRequest:
        account_reference = self.reference.text if self.reference is not None else self.id[:STK_REFERENCE_LENGTH]
        return StkPushRequest(self.phone, self.amount, self.description, account_reference, self.callback_token)

    def accept(
        self,
        accepted: StkPushAccepted,
        now: datetime,
        *,
        cause: ChangeCause = ChangeCause.DARAJA_ANSWER,
        first_check_after: timedelta = STK_FIRST_CHECK_AFTER,
    ) -> None:
        """Daraja took the push: its ids are known, so from `first_check_after` on the reconciler may query it."""
        self._ensure_pending()
        self.checkout, self.merchant_request = accepted.checkout, accepted.merchant_request
        self.updated_at = now
        self.next_check_at = self.created_at + first_check_after
        self._record(now, cause, f"accepted: CheckoutRequestID {accepted.checkout}")

    def reject(
        self, code: str, description: str, now: datetime, *, cause: ChangeCause = ChangeCause.DARAJA_ANSWER
    ) -> None:
        """Daraja refused the push, or it never reached Daraja: no prompt, no money."""
        self._finish(PaymentStatus.FAILED, code, description, now, cause)

    def mark_outcome_unknown(self, now: datetime, *, cause: ChangeCause = ChangeCause.DARAJA_ANSWER) -> None:
        """Daraja's answer was lost: without a CheckoutRequestID no query can settle it, only its callback."""
        self._ensure_pending()
        self.outcome_unknown = True
        self.updated_at = now
        self._record(now, cause, "Daraja's answer to the push was lost; outcome unknown")

    def settle(
        self,
        result: StkResult,
        now: datetime,
        *,
        cause: ChangeCause = ChangeCause.CALLBACK,
        detail: str | None = None,
    ) -> None:
        """Apply Daraja's result.

        Raises PaymentFinalError once final, and CallbackRejectedError when the result names another payment.
        """
        self.check_result(result)
        self.checkout, self.merchant_request = result.checkout, result.merchant_request
        self.outcome_unknown, self.unconfirmed_success = False, None
        meaning = stk_result_meaning(result.result_code)
        if meaning.status is PaymentStatus.SUCCESS:
            self.receipt, self.transaction_date = result.receipt, result.transaction_date
        self._finish(meaning.status, result.result_code, result.result_desc, now, cause, detail)

    def check_result(self, result: StkResult) -> None:
        """What `settle` checks, changing nothing: PaymentFinalError once final, CallbackRejectedError when the result
        names another payment (ids, and for a success amount, phone and receipt)."""
        self._ensure_pending()
        self._ensure_describes_me(result)

    def hold_unconfirmed_success(self, result: StkResult, now: datetime, *, recheck_at: datetime) -> None:
        """Keep a success callback that Daraja's STK query could not yet confirm; it stays pending, and the reconciler
        asks again from `recheck_at` (a push whose answer was lost learns its Daraja ids here, to be queried by)."""
        self.check_result(result)
        if result.result_code != SUCCESS_CODE:
            raise ValueError("only a success waits for confirmation")
        self.checkout = self.checkout or result.checkout
        self.merchant_request = self.merchant_request or result.merchant_request
        self.unconfirmed_success, self.updated_at = result, now
        self.next_check_at, self.check_attempts = recheck_at, 0
        self._record(now, ChangeCause.CALLBACK, f"success reported (receipt {result.receipt}); awaiting STK query")

    @property
    def queryable(self) -> bool:
        """Pending with a CheckoutRequestID: an STK query can tell how it ended."""
        return self.status is PaymentStatus.PENDING and self.checkout is not None

    def schedule_check(self, at: datetime) -> None:
        """The reconciler takes its turn now and will look again at `at` (stored before it asks Daraja)."""
        self._ensure_pending()
        if self.checkout is None:
            raise PaymentFinalError(f"payment {self.id} has no CheckoutRequestID to query")
        self.next_check_at, self.check_attempts = at, self.check_attempts + 1

    def add_receipt(self, result: StkResult, now: datetime, *, cause: ChangeCause = ChangeCause.CALLBACK) -> bool:
        """Complete a success an STK query recorded (queries carry no receipt) with the receipt of Daraja's late
        callback. False, changing nothing, for any other payment or result; CallbackRejectedError if it names
        another payment."""
        if self.status is not PaymentStatus.SUCCESS or self.receipt is not None or result.result_code != SUCCESS_CODE:
            return False
        self._ensure_describes_me(result)
        self.receipt, self.transaction_date, self.updated_at = result.receipt, result.transaction_date, now
        self._record(now, cause, "receipt from Daraja's callback")
        return True

    def settle_from_query(
        self, answer: StkQueryAnswer, now: datetime, *, cause: ChangeCause = ChangeCause.QUERY
    ) -> None:
        """Apply Daraja's answer to an STK query: a pending answer changes nothing; a final one settles.

        The query carries no receipt, so code 0 records a success without one, unless a success callback is held
        unconfirmed: the query confirms it and its receipt is applied (any other final answer refutes it). Raises
        PaymentFinalError once final (a recorded outcome, above all a success, is never overwritten by a query), and
        CallbackRejectedError when the answer names another push.
        """
        self._ensure_pending()
        if self.checkout is None or answer.checkout != self.checkout:
            raise CallbackRejectedError("the query answer names another CheckoutRequestID")
        if answer.merchant_request and self.merchant_request and answer.merchant_request != self.merchant_request:
            raise CallbackRejectedError("the query answer names another MerchantRequestID")
        if answer.result_code is None:
            return
        held, self.unconfirmed_success = self.unconfirmed_success, None
        self.outcome_unknown = False
        description = answer.result_desc or ""
        status = answer.status
        detail = f"{answer.result_code}: {description}"
        if status is PaymentStatus.SUCCESS and held is not None:
            self.receipt, self.transaction_date = held.receipt, held.transaction_date
            detail = f"{detail} (confirms the callback's success, receipt {held.receipt})"
        elif status is PaymentStatus.SUCCESS:
            detail = f"{detail} ({RECEIPT_NOT_QUERIED})"
        elif held is not None:
            detail = f"{detail} (refutes the callback's success, receipt {held.receipt})"
        self._finish(status, answer.result_code, description, now, cause, detail)

    def mark_reversed(self, reversal_id: str, now: datetime) -> bool:
        """Link the reversal that refunded this payment; False (nothing changed) when it is linked already."""
        if self.status is not PaymentStatus.SUCCESS:
            raise PaymentFinalError(f"payment {self.id} is {self.status.value}; only a completed one is reversed")
        if self.reversal_id is not None:
            return False
        self.reversal_id, self.updated_at = reversal_id, now
        return True

    def unanswered(self, now: datetime, after: timedelta = UNANSWERED_PUSH_AFTER) -> bool:
        """Pending, with no CheckoutRequestID, for `after` or longer: Daraja's answer to the push was lost, or its
        process died before recording it. No query can settle it; only Daraja's callback can."""
        return self.status is PaymentStatus.PENDING and self.checkout is None and now - self.created_at >= after

    def view_as_of(self, now: datetime, unanswered_after: timedelta = UNANSWERED_PUSH_AFTER) -> PaymentView:
        """`view` as read at `now`: a pending payment carries its `age_seconds`, and one `unanswered` is shown as
        `outcome_unknown` though nothing recorded it (updates and history keep `view`, which does not age)."""
        view = self.view()
        if self.status is PaymentStatus.PENDING:
            view["age_seconds"] = max(0, int((now - self.created_at).total_seconds()))
            view["outcome_unknown"] = self.outcome_unknown or self.unanswered(now, unanswered_after)
        return view

    def history_view(self) -> list[dict[str, Any]]:
        """Every change of state, oldest first, for the operator (clients see `view`)."""
        return [change.view() for change in self.history]

    def view(self) -> PaymentView:
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
            "reference": None if self.reference is None else self.reference.text,
            "metadata": None if self.metadata is None else self.metadata.as_dict(),
            "reversal_id": self.reversal_id,
            # Bumped by every stored change: of two states of the record, the higher version is the newer.
            "version": self.version,
        }

    def _finish(
        self,
        status: PaymentStatus,
        code: str,
        description: str,
        now: datetime,
        cause: ChangeCause,
        detail: str | None = None,
    ) -> None:
        self._ensure_pending()
        self.status, self.result_code, self.result_desc, self.updated_at = status, code, description, now
        self.next_check_at = None
        self._record(now, cause, detail if detail is not None else f"{code}: {description}")

    def _record(self, now: datetime, cause: ChangeCause, detail: str | None = None) -> None:
        # Not its `version`: that is given by the save that stores this change (events are ordered by `sequence`).
        snapshot = {key: value for key, value in self.view().items() if key != "version"}
        self.history.append(StatusChange(now, self.status.value, cause, detail, snapshot))

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
