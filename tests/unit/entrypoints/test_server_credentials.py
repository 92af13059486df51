"""The guard's collaborator: which Authorization headers let a server request through."""

from datetime import timedelta

import pytest

from domain.access.use_cases.authenticate_api_key import AuthenticateApiKey
from domain.access.use_cases.create_api_key import CreateApiKey
from domain.shared.errors import UnauthorizedError
from entrypoints.http.api_key_guard import ServerCredentials
from tests.unit.fakes import FakeApiKeys, FixedClock, SequentialKeyMaterial


@pytest.fixture
def store() -> FakeApiKeys:
    return FakeApiKeys()


def credentials(store: FakeApiKeys, *, keys_optional: bool) -> ServerCredentials:
    return ServerCredentials(AuthenticateApiKey(store, FixedClock(), timedelta(seconds=5)), keys_optional=keys_optional)


async def test_a_good_key_names_itself_with_any_casing_of_bearer(store: FakeApiKeys) -> None:
    issued = await CreateApiKey(store, SequentialKeyMaterial(), FixedClock())("backend")

    admitted = await credentials(store, keys_optional=False).admit(f"bearer  {issued.text} ")

    assert admitted is not None and admitted.key_id == issued.key.key_id


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "mgw_x_y"])
async def test_without_a_usable_key_the_request_is_unauthorized(store: FakeApiKeys, header: str | None) -> None:
    with pytest.raises(UnauthorizedError):
        await credentials(store, keys_optional=False).admit(header)


async def test_keyless_mode_takes_no_header_but_never_a_wrong_one(store: FakeApiKeys) -> None:
    keyless = credentials(store, keys_optional=True)

    assert await keyless.admit(None) is None
    with pytest.raises(UnauthorizedError):
        await keyless.admit("Bearer mgw_0000000000000001_" + "0" * 64)
