"""API keys in MongoDB: one document per key, holding the SHA-256 of its secret, never the secret."""

from typing import Any

from pymongo import ASCENDING

from adapters.mongo.bson_time import as_utc
from adapters.mongo.client import MongoDatabase
from adapters.mongo.equality import equal_to
from adapters.mongo.store_errors import translates_store_errors
from domain.access.api_key import ApiKey
from domain.access.ports import ApiKeys
from domain.shared.errors import ConcurrentUpdateError

API_KEYS_COLLECTION = "api_keys"
_NO_ID = {"_id": False}


class MongoApiKeys(ApiKeys):
    """Changes replace the whole document on condition of the version read (nx-27017 stores `$set` dates as strings)."""

    def __init__(self, database: MongoDatabase) -> None:
        self._keys = database[API_KEYS_COLLECTION]

    @translates_store_errors
    async def add(self, key: ApiKey) -> None:
        await self._keys.insert_one(_document(key))

    @translates_store_errors
    async def by_id(self, key_id: str) -> ApiKey | None:
        stored = await self._keys.find_one({"key_id": key_id}, projection=_NO_ID)
        return None if stored is None else _key(stored)

    @translates_store_errors
    async def all(self) -> list[ApiKey]:
        cursor = self._keys.find({}, projection=_NO_ID, sort=[("created_at", ASCENDING), ("key_id", ASCENDING)])
        return [_key(stored) async for stored in cursor]

    @translates_store_errors
    async def save(self, key: ApiKey) -> None:
        read_version = key.version
        replaced = await self._keys.find_one_and_replace(
            equal_to({"key_id": key.key_id, "version": read_version}),
            {**_document(key), "version": read_version + 1},
            projection={"_id": True},
        )
        if replaced is None:
            raise ConcurrentUpdateError(f"API key {key.key_id} changed since version {read_version} was read")
        key.version = read_version + 1


def _document(key: ApiKey) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "name": key.name,
        "secret_sha256": key.secret_sha256,
        "created_at": as_utc(key.created_at),
        "revoked_at": None if key.revoked_at is None else as_utc(key.revoked_at),
        "last_used_at": None if key.last_used_at is None else as_utc(key.last_used_at),
        "version": key.version,
        "scopes": sorted(key.scopes),
    }


def _key(stored: dict[str, Any]) -> ApiKey:
    revoked_at, last_used_at = stored.get("revoked_at"), stored.get("last_used_at")
    return ApiKey(
        key_id=stored["key_id"],
        name=stored["name"],
        secret_sha256=stored["secret_sha256"],
        created_at=as_utc(stored["created_at"]),
        revoked_at=None if revoked_at is None else as_utc(revoked_at),
        last_used_at=None if last_used_at is None else as_utc(last_used_at),
        version=stored.get("version", 0),
        # Absent from keys issued before scopes existed: they open what every key opens, nothing more.
        scopes=frozenset(stored.get("scopes") or ()),
    )
