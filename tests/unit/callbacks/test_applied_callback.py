"""A callback is kept with its record only by the write that applies it, and only the record's first: any other is
left for the journal."""

import pytest

from domain.b2c.use_cases.handle_result import HandleB2cResult
from domain.callbacks.outcome import CallbackOutcome
from domain.callbacks.received_callback import CallbackInHand, CallbackKind
from domain.shared.errors import StoreUnavailableError
from domain.stk.use_cases.handle_callback import HandleStkCallback
from tests.support.factories import (
    PaymentFactory,
    b2c_success_for,
    queue_timeout_for,
    received_callback,
    submitted_withdrawal,
    success_for,
)
from tests.unit.fakes import (
    FakeAnomalies,
    FakeBroadcaster,
    FakeDailyAllowance,
    FakePaymentRepository,
    FakeWithdrawalRepository,
    FixedClock,
)


def in_hand(journal_id: str, token: str, kind: CallbackKind = CallbackKind.STK) -> CallbackInHand:
    return CallbackInHand(journal_id, received_callback(kind, b'{"Body": {}}', path_token=token))


async def test_a_result_whose_write_fails_is_not_kept_with_its_payment_so_it_is_journaled() -> None:
    payment = PaymentFactory.build()
    payments = FakePaymentRepository(payment)
    payments.store_goes_down_on_save()
    handle = HandleStkCallback(payments, FakeBroadcaster(), FixedClock(), FakeAnomalies())
    callback = in_hand("65f2a0c1e4b0a1b2c3d4e5f6", payment.callback_token)

    with pytest.raises(StoreUnavailableError):
        await handle(payment.callback_token, success_for(payment), in_hand=callback)

    assert callback.kept_with_record is False


async def test_a_result_after_a_queue_time_out_changes_the_withdrawal_but_the_time_out_stays_its_kept_callback() -> (
    None
):
    withdrawal = submitted_withdrawal()
    withdrawals = FakeWithdrawalRepository(withdrawal)
    handle = HandleB2cResult(withdrawals, FakeDailyAllowance(), FakeBroadcaster(), FixedClock(), FakeAnomalies())
    token = withdrawal.callback_token
    timeout = in_hand("65f2a0c1e4b0a1b2c3d4e5f6", token, CallbackKind.B2C_TIMEOUT)
    result = in_hand("65f2a0c1e4b0a1b2c3d4e5f7", token, CallbackKind.B2C_RESULT)

    timed_out = await handle(token, queue_timeout_for(withdrawal), queue_timeout=True, in_hand=timeout)
    settled = await handle(token, b2c_success_for(withdrawal), queue_timeout=False, in_hand=result)

    assert (timed_out, settled) == (CallbackOutcome.APPLIED, CallbackOutcome.APPLIED)
    assert (timeout.kept_with_record, result.kept_with_record) == (True, False)
    stored = await withdrawals.by_callback_token(token)
    assert stored is not None and stored.applied_callback == timeout.fold_into(None)
