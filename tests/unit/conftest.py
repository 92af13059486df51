import pytest

from tests.unit.fakes import (
    FakeBroadcaster,
    FakePaymentProvider,
    FakePaymentRepository,
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
