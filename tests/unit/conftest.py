import pytest

from tests.unit.fakes import (
    FakeAnomalies,
    FakeBroadcaster,
    FakeDailyAllowance,
    FakeIdempotencyKeys,
    FakePaymentProvider,
    FakePaymentRepository,
    FakePayoutProvider,
    FakeWithdrawalRepository,
    FixedClock,
    SequentialIdentifiers,
)


@pytest.fixture
def payments() -> FakePaymentRepository:
    return FakePaymentRepository()


@pytest.fixture
def provider() -> FakePaymentProvider:
    return FakePaymentProvider()


@pytest.fixture
def broadcaster() -> FakeBroadcaster:
    return FakeBroadcaster()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def identifiers() -> SequentialIdentifiers:
    return SequentialIdentifiers()


@pytest.fixture
def withdrawals() -> FakeWithdrawalRepository:
    return FakeWithdrawalRepository()


@pytest.fixture
def payout_provider() -> FakePayoutProvider:
    return FakePayoutProvider()


@pytest.fixture
def allowance() -> FakeDailyAllowance:
    return FakeDailyAllowance()


@pytest.fixture
def keys() -> FakeIdempotencyKeys:
    return FakeIdempotencyKeys()


@pytest.fixture
def anomalies() -> FakeAnomalies:
    return FakeAnomalies()
