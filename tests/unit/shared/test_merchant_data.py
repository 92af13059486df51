"""A merchant's reference and metadata travel with the payment or withdrawal; bad ones store and send nothing."""

import dataclasses
from typing import Any

import pytest

from domain.b2c.use_cases.request_withdrawal import RequestWithdrawal
from domain.shared.error_codes import ErrorCode
from domain.shared.errors import IdempotencyConflictError, ValidationError
from domain.shared.merchant_data import MerchantReference, Metadata
from domain.stk.use_cases.push_payment import PushPayment
from tests.support.factories import PushCommandFactory, WithdrawCommandFactory
from tests.unit.fakes import (
    FakeBroadcaster,
    FakeDailyAllowance,
    FakeIdempotencyKeys,
    FakePaymentProvider,
    FakePaymentRepository,
    FakeWithdrawalRepository,
    FixedClock,
    SequentialIdentifiers,
)

METADATA = {"order_id": 1042, "customer": "c-77", "gift": False, "discount": 0.5, "note": None}


@pytest.fixture
def push(
    payments: FakePaymentRepository,
    provider: FakePaymentProvider,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    identifiers: SequentialIdentifiers,
    keys: FakeIdempotencyKeys,
) -> PushPayment:
    return PushPayment(payments, provider, broadcaster, clock, identifiers, keys, maximum_amount=150_000)


@pytest.fixture
def withdraw(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    identifiers: SequentialIdentifiers,
    keys: FakeIdempotencyKeys,
) -> RequestWithdrawal:
    return RequestWithdrawal(withdrawals, allowance, broadcaster, clock, identifiers, keys, 10, 250_000, 500_000)


@pytest.mark.parametrize("text", ["INV-1042", "A", "order 7/2026", "a_b.c-d/e 12"])
def test_a_reference_of_letters_digits_and_a_few_signs_is_taken(text: str) -> None:
    assert MerchantReference.parse(f"  {text}  ", 12).text == text


@pytest.mark.parametrize(
    ("raw", "maximum"),
    [("", 12), ("   ", 12), ("1234567890123", 12), ("x" * 101, 100), ("INV#1", 12), ("a@b", 12), ("-lead", 12)],
)
def test_a_reference_daraja_would_refuse_or_drop_is_refused(raw: str, maximum: int) -> None:
    with pytest.raises(ValidationError) as refused:
        MerchantReference.parse(raw, maximum)

    assert (refused.value.code, refused.value.field) == (ErrorCode.VALIDATION_ERROR, "reference")


def test_a_reference_must_be_a_string() -> None:
    with pytest.raises(ValidationError):
        MerchantReference.parse(1042, 12)


def test_flat_metadata_within_the_bounds_is_kept_as_given() -> None:
    assert Metadata.parse(METADATA).as_dict() == METADATA


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ([1, 2], "metadata"),
        ("order=7", "metadata"),
        ({f"k{n}": n for n in range(21)}, "metadata"),
        ({"": 1}, "metadata"),
        ({"k" * 41: 1}, "metadata"),
        ({"nested": {"a": 1}}, "metadata.nested"),
        ({"list": [1]}, "metadata.list"),
        ({"long": "x" * 501}, "metadata.long"),
        ({"nan": float("nan")}, "metadata.nan"),
        ({"a.b": 1}, "metadata"),
        ({"$set": 1}, "metadata"),
        ({"big": 2**53}, "metadata.big"),
        ({"small": -(2**63)}, "metadata.small"),
        ({f"k{n}": "é" * 120 for n in range(20)}, "metadata"),  # 20 values of 240 bytes: over 4 KiB
    ],
)
def test_metadata_outside_the_bounds_is_refused_naming_the_field(raw: Any, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Metadata.parse(raw)

    assert refused.value.field == field


async def test_a_push_with_a_reference_sends_it_as_the_account_reference_and_keeps_both(
    push: PushPayment, payments: FakePaymentRepository, provider: FakePaymentProvider, broadcaster: FakeBroadcaster
) -> None:
    payment = await push(PushCommandFactory.build(reference="INV-1042", metadata=METADATA))

    [request] = provider.requests
    assert request.account_reference == "INV-1042"
    stored = payments.get(payment.id).view()
    assert (stored["reference"], stored["metadata"]) == ("INV-1042", METADATA)
    assert all(data["reference"] == "INV-1042" and data["metadata"] == METADATA for _, data in broadcaster.published)


async def test_a_push_without_a_reference_sends_the_payment_ids_prefix(
    push: PushPayment, payments: FakePaymentRepository, provider: FakePaymentProvider
) -> None:
    payment = await push(PushCommandFactory.build())

    assert provider.requests[0].account_reference == payment.id[:12]
    assert (payments.get(payment.id).reference, payments.get(payment.id).metadata) == (None, None)


@pytest.mark.parametrize(
    "bad", [{"reference": "way-too-long-ref"}, {"metadata": {"deep": {"a": 1}}}, {"metadata": ["a"]}]
)
async def test_a_push_with_a_bad_reference_or_metadata_stores_and_sends_nothing(
    push: PushPayment,
    payments: FakePaymentRepository,
    provider: FakePaymentProvider,
    keys: FakeIdempotencyKeys,
    bad: dict[str, Any],
) -> None:
    with pytest.raises(ValidationError):
        await push(PushCommandFactory.build(idempotency_key="k-1", **bad))

    assert (payments.all(), provider.requests, keys.held) == ([], [], {})


async def test_a_withdrawal_keeps_its_reference_up_to_100_characters_and_its_metadata(
    withdraw: RequestWithdrawal, withdrawals: FakeWithdrawalRepository
) -> None:
    reference = "Refund for order 1042 " + "x" * 78

    withdrawal = await withdraw(WithdrawCommandFactory.build(reference=reference, metadata=METADATA))

    stored = withdrawals.get(withdrawal.id)
    assert (stored.b2c_request().occasion, stored.view()["metadata"]) == (reference, METADATA)


async def test_a_withdrawal_with_bad_metadata_reserves_and_stores_nothing(
    withdraw: RequestWithdrawal, withdrawals: FakeWithdrawalRepository, allowance: FakeDailyAllowance
) -> None:
    with pytest.raises(ValidationError):
        await withdraw(WithdrawCommandFactory.build(metadata={"too": "x" * 501}))

    assert (withdrawals.all(), allowance.totals) == ([], {})


async def test_the_same_key_with_other_metadata_is_another_request(
    push: PushPayment, provider: FakePaymentProvider
) -> None:
    command = PushCommandFactory.build(idempotency_key="invoice-7", reference="INV-7", metadata={"v": 1})
    await push(command)

    with pytest.raises(IdempotencyConflictError):
        await push(dataclasses.replace(command, metadata={"v": 2}))

    assert len(provider.requests) == 1
