"""What the STK repository remembers of the payments it stored while open: exactly what a read of the store would
give, until the payment is final, its write is refused, or newer ones push it out."""

from datetime import timedelta

from adapters.mongo.stk_payment_document import from_stored, replacement_for
from adapters.mongo.stk_remembered_payments import RememberedPayments
from domain.stk.payment import Payment
from tests.support.factories import CREATED_AT, PaymentFactory, paid_payment, started_payment


def written(payment: Payment, version: int = 1) -> dict[str, object]:
    return replacement_for(payment, version)


def test_an_open_payment_is_remembered_as_the_store_would_give_it_back() -> None:
    remembered = RememberedPayments()
    payment = started_payment(at=CREATED_AT + timedelta(microseconds=123_456))
    document = written(payment, version=3)

    remembered.stored(document)

    known = remembered.by_callback_token(payment.callback_token)
    assert known == from_stored(document)
    assert known is not None and known.version == 3
    assert known.created_at == CREATED_AT + timedelta(microseconds=123_000)  # whole milliseconds, as stored


def test_each_lookup_is_a_payment_of_its_own() -> None:
    remembered = RememberedPayments()
    payment = started_payment()
    remembered.stored(written(payment))

    first = remembered.by_callback_token(payment.callback_token)
    assert first is not None and first.history
    first.history.clear()

    second = remembered.by_callback_token(payment.callback_token)
    assert second is not None and second.history == payment.history


def test_a_payment_stored_final_is_forgotten() -> None:
    remembered = RememberedPayments()
    paid = paid_payment()
    remembered.stored(written(PaymentFactory.build(id=paid.id, callback_token=paid.callback_token)))

    remembered.stored(written(paid, version=2))

    assert remembered.by_callback_token(paid.callback_token) is None


def test_a_payment_whose_write_was_refused_is_forgotten() -> None:
    remembered = RememberedPayments()
    payment = PaymentFactory.build()
    remembered.stored(written(payment))

    remembered.refused(payment.callback_token)

    assert remembered.by_callback_token(payment.callback_token) is None


def test_past_its_limit_the_payment_stored_longest_ago_is_forgotten_first() -> None:
    remembered = RememberedPayments(limit=2)
    oldest, rewritten, newest = PaymentFactory.batch(3)
    remembered.stored(written(oldest))
    remembered.stored(written(rewritten))
    remembered.stored(written(rewritten, version=2))  # written again: the most recent now

    remembered.stored(written(newest))

    assert remembered.by_callback_token(oldest.callback_token) is None
    assert [remembered.by_callback_token(p.callback_token) is not None for p in (rewritten, newest)] == [True, True]
