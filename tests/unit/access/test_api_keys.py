"""API keys: issued once, stored hashed, several active at once, refused when wrong or revoked."""

from datetime import timedelta

import pytest

from domain.access.api_key import PresentedKey, secret_digest
from domain.access.use_cases.authenticate_api_key import AuthenticateApiKey
from domain.access.use_cases.create_api_key import CreateApiKey
from domain.access.use_cases.list_api_keys import ListApiKeys
from domain.access.use_cases.revoke_api_key import RevokeApiKey
from domain.shared.error_codes import ErrorCode
from domain.shared.errors import NotFoundError, UnauthorizedError, ValidationError
from tests.unit.fakes import FakeApiKeys, FixedClock, SequentialKeyMaterial

CACHE_SECONDS = 5


@pytest.fixture
def store() -> FakeApiKeys:
    return FakeApiKeys()


@pytest.fixture
def create(store: FakeApiKeys, clock: FixedClock) -> CreateApiKey:
    return CreateApiKey(store, SequentialKeyMaterial(), clock)


@pytest.fixture
def authenticate(store: FakeApiKeys, clock: FixedClock) -> AuthenticateApiKey:
    return AuthenticateApiKey(store, clock, timedelta(seconds=CACHE_SECONDS))


async def test_a_new_key_is_shown_once_and_only_its_secrets_hash_is_stored(
    create: CreateApiKey, store: FakeApiKeys
) -> None:
    issued = await create("  shop   backend ")

    presented = PresentedKey.read(issued.text)
    assert presented is not None and presented.key_id == issued.key.key_id
    stored = store.get(issued.key.key_id)
    assert (stored.name, stored.secret_sha256) == ("shop backend", secret_digest(presented.secret))
    assert presented.secret not in str(stored.view())


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "tab\tname\x00"])
async def test_a_key_needs_a_short_printable_name(create: CreateApiKey, store: FakeApiKeys, name: str) -> None:
    with pytest.raises(ValidationError):
        await create(name)

    assert await store.all() == []


async def test_two_keys_are_active_at_once(create: CreateApiKey, authenticate: AuthenticateApiKey) -> None:
    old, new = await create("2025"), await create("2026")

    assert (await authenticate(old.text)).key_id == old.key.key_id
    assert (await authenticate(new.text)).key_id == new.key.key_id


@pytest.mark.parametrize(
    "presented",
    [
        "",
        "Bearer",
        "mgw_0000000000000001",
        "mgw_0000000000000009_" + "0" * 64,  # unknown id
        "mgw_0000000000000001_" + "f" * 64,  # known id, wrong secret
        "sk_live_" + "0" * 64,
    ],
)
async def test_a_malformed_unknown_or_wrong_key_is_unauthorized(
    create: CreateApiKey, authenticate: AuthenticateApiKey, presented: str
) -> None:
    await create("backend")

    with pytest.raises(UnauthorizedError) as refused:
        await authenticate(presented)

    assert refused.value.code is ErrorCode.UNAUTHORIZED


async def test_a_revoked_key_stops_working_once_the_cache_time_has_passed(
    create: CreateApiKey, authenticate: AuthenticateApiKey, store: FakeApiKeys, clock: FixedClock
) -> None:
    kept, revoked = await create("new"), await create("old")
    await authenticate(revoked.text)

    await RevokeApiKey(store, clock)(revoked.key.key_id)
    clock.advance(seconds=CACHE_SECONDS)

    with pytest.raises(UnauthorizedError):
        await authenticate(revoked.text)
    assert (await authenticate(kept.text)).key_id == kept.key.key_id


async def test_a_revoked_key_never_verified_here_is_refused_at_once(
    create: CreateApiKey, authenticate: AuthenticateApiKey, store: FakeApiKeys, clock: FixedClock
) -> None:
    issued = await create("old")

    await RevokeApiKey(store, clock)(issued.key.key_id)

    with pytest.raises(UnauthorizedError):
        await authenticate(issued.text)


async def test_revoking_twice_keeps_the_first_time_and_an_unknown_id_is_not_found(
    create: CreateApiKey, store: FakeApiKeys, clock: FixedClock
) -> None:
    issued = await create("old")
    revoke = RevokeApiKey(store, clock)
    first = await revoke(issued.key.key_id)
    clock.advance(minutes=5)

    again = await revoke(issued.key.key_id)

    assert again.revoked_at == first.revoked_at
    with pytest.raises(NotFoundError):
        await revoke("00000000000000ff")


async def test_use_is_noted_at_most_once_a_minute(
    create: CreateApiKey, authenticate: AuthenticateApiKey, store: FakeApiKeys, clock: FixedClock
) -> None:
    issued = await create("backend")
    first_use = clock.now()
    await authenticate(issued.text)
    clock.advance(seconds=30)
    await authenticate(issued.text)

    assert store.get(issued.key.key_id).last_used_at == first_use

    later = clock.advance(seconds=31)
    await authenticate(issued.text)

    assert store.get(issued.key.key_id).last_used_at == later


async def test_the_list_shows_every_key_without_secrets(create: CreateApiKey, store: FakeApiKeys) -> None:
    first, second = await create("a"), await create("b")

    listed = [key.view() for key in await ListApiKeys(store)()]

    assert [view["id"] for view in listed] == [first.key.key_id, second.key.key_id]
    assert all(set(view) == {"id", "name", "created_at", "last_used_at", "revoked_at", "scopes"} for view in listed)


async def test_a_key_opens_the_reversal_scope_only_when_created_with_it(create: CreateApiKey) -> None:
    plain, refunds = await create("checkout"), await create("refunds desk", ("reversal",))

    assert not plain.key.allows("reversal") and plain.key.view()["scopes"] == []
    assert refunds.key.allows("reversal") and refunds.key.view()["scopes"] == ["reversal"]


async def test_an_unknown_scope_is_refused_and_no_key_is_stored(create: CreateApiKey, store: FakeApiKeys) -> None:
    with pytest.raises(ValidationError) as refused:
        await create("anything", ("refund",))

    assert refused.value.field == "scopes"
    assert await ListApiKeys(store)() == []
