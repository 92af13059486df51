"""With the store gone every adapter refuses promptly with StoreUnavailableError; once back, the same client works.

These tests run a server of their own: stopping the session's would break every other test.
"""

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pymongo.errors import DuplicateKeyError

from adapters.local_process import free_port
from adapters.mongo.b2c_daily_allowance import MongoDailyAllowance
from adapters.mongo.b2c_withdrawal_repository import MongoWithdrawalRepository
from adapters.mongo.client import MongoAsyncClient, create_mongo_client
from adapters.mongo.embedded_server import EmbeddedMongo
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from adapters.mongo.store_health import MongoStoreHealth
from domain.shared.errors import StoreUnavailableError
from migrations import apply_migrations
from tests.support.factories import CREATED_AT, SUBJECT, PaymentFactory, WithdrawalFactory

TIMEOUT = 0.5
# The client's time-out, plus room for a loaded machine: "refused promptly", not "refused eventually".
REFUSED_WITHIN = TIMEOUT + 2.0
BACK_WITHIN = 15.0
DATABASE = "store_unavailable"
DAY = "2025-03-14"


@dataclass
class Stores:
    payments: MongoPaymentRepository
    withdrawals: MongoWithdrawalRepository
    allowance: MongoDailyAllowance
    health: MongoStoreHealth


def _stores(client: MongoAsyncClient) -> Stores:
    database = client[DATABASE]
    return Stores(
        MongoPaymentRepository(database),
        MongoWithdrawalRepository(database),
        MongoDailyAllowance(database),
        MongoStoreHealth(client, TIMEOUT),
    )


Operation = Callable[[Stores], Awaitable[object]]

OPERATIONS: dict[str, Operation] = {
    "payments.add": lambda s: s.payments.add(PaymentFactory.build()),
    "payments.save": lambda s: s.payments.save(PaymentFactory.build()),
    "payments.by_checkout": lambda s: s.payments.by_checkout(SUBJECT, "ws_CO_1"),
    "payments.by_callback_token": lambda s: s.payments.by_callback_token("token"),
    "withdrawals.add": lambda s: s.withdrawals.add(WithdrawalFactory.build()),
    "withdrawals.save": lambda s: s.withdrawals.save(WithdrawalFactory.build()),
    "withdrawals.by_id": lambda s: s.withdrawals.by_id(SUBJECT, "w-1"),
    "withdrawals.by_callback_token": lambda s: s.withdrawals.by_callback_token("token"),
    "withdrawals.by_status_query": lambda s: s.withdrawals.by_status_query("digest"),
    "withdrawals.claim_next": lambda s: s.withdrawals.claim_next("worker-1", CREATED_AT, CREATED_AT),
    "allowance.reserve": lambda s: s.allowance.reserve(SUBJECT, DAY, 100, 1_000),
    "allowance.release": lambda s: s.allowance.release(SUBJECT, DAY, 100),
}


@pytest.fixture(scope="module")
async def gone(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stores]:
    """Adapters whose client reached the store, and then the store stopped."""
    server = EmbeddedMongo(tmp_path_factory.mktemp("store-gone")).start()
    client = create_mongo_client(server.url, timeout_seconds=TIMEOUT)
    try:
        await apply_migrations(client[DATABASE])
        stores = _stores(client)
        await stores.payments.add(PaymentFactory.build())
        server.stop()
        yield stores
    finally:
        await client.close()
        server.stop()


@pytest.fixture
async def never_reached() -> AsyncIterator[Stores]:
    """Adapters whose client never found a server: nothing listens on its port."""
    client = create_mongo_client(f"mongodb://127.0.0.1:{free_port()}", timeout_seconds=TIMEOUT)
    yield _stores(client)
    await client.close()


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS.keys())
async def test_every_operation_is_refused_promptly_once_the_store_is_gone(gone: Stores, operation: Operation) -> None:
    started = time.monotonic()

    with pytest.raises(StoreUnavailableError):
        await operation(gone)

    assert time.monotonic() - started < REFUSED_WITHIN


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS.keys())
async def test_every_operation_is_refused_promptly_when_the_store_was_never_reached(
    never_reached: Stores, operation: Operation
) -> None:
    started = time.monotonic()

    with pytest.raises(StoreUnavailableError):
        await operation(never_reached)

    assert time.monotonic() - started < REFUSED_WITHIN


async def test_the_refusal_names_no_host_or_driver(never_reached: Stores) -> None:
    with pytest.raises(StoreUnavailableError) as refused:
        await never_reached.payments.by_callback_token("token")

    assert refused.value.code == "STORE_UNAVAILABLE"
    assert "127.0.0.1" not in refused.value.message
    assert "Timeout" not in refused.value.message


async def test_health_says_down_promptly_when_the_store_is_gone(gone: Stores) -> None:
    started = time.monotonic()

    up = await gone.health.check()

    assert up is False
    assert time.monotonic() - started < REFUSED_WITHIN


async def test_the_same_client_works_again_once_the_store_is_back(tmp_path: Path) -> None:
    server = EmbeddedMongo(tmp_path).start()
    port = server.port
    client = create_mongo_client(server.url, timeout_seconds=TIMEOUT)
    try:
        stores = _stores(client)
        payment = PaymentFactory.build()
        await stores.payments.add(payment)
        server.stop()
        with pytest.raises(StoreUnavailableError):
            await stores.payments.by_checkout(payment.subject, payment.id)
        assert await stores.health.check() is False

        server = EmbeddedMongo(tmp_path, port=port).start()
        # The driver finds the server again at its next heartbeat, not at once: a busy machine can take longer than
        # one server-selection time-out, so wait (boundedly) for the client to see it before using it.
        assert await _back_within(stores.health, BACK_WITHIN)
        found = await stores.payments.by_checkout(payment.subject, payment.id)
        added = WithdrawalFactory.build()
        await stores.withdrawals.add(added)

        assert found == payment
        assert await stores.withdrawals.by_id(added.subject, added.id) == added
        assert await stores.health.check() is True
    finally:
        await client.close()
        server.stop()


async def test_a_duplicate_is_not_mistaken_for_an_unavailable_store(tmp_path: Path) -> None:
    with EmbeddedMongo(tmp_path) as server:
        client = create_mongo_client(server.url, timeout_seconds=TIMEOUT)
        try:
            await apply_migrations(client[DATABASE])
            payments = _stores(client).payments
            payment = PaymentFactory.build()
            await payments.add(payment)

            with pytest.raises(DuplicateKeyError):
                await payments.add(payment)
        finally:
            await client.close()


async def _back_within(health: MongoStoreHealth, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await health.check():
            return True
    return False
