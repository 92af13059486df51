"""The catch-up's reads in `ResumeCursor` order: by `updated_ms` (an integer, which every store compares exactly,
where the embedded store compares dates only to the whole second), then by the record's id.

Spelled out as `$and`/`$or` of plain comparisons on the two indexed fields (migration m0011's index on hash,
updated_ms, id serves them), each equality as `$eq` (see `equality`)."""

from typing import Any

from pymongo import ASCENDING

from domain.resume_cursor import ResumeCursor


def change_order(id_field: str) -> list[tuple[str, int]]:
    return [("updated_ms", ASCENDING), (id_field, ASCENDING)]


def placed_after(cursor: ResumeCursor, id_field: str) -> dict[str, Any]:
    return {
        "$or": [
            {"updated_ms": {"$gt": cursor.updated_ms}},
            {"updated_ms": {"$eq": cursor.updated_ms}, id_field: {"$gt": cursor.record_id}},
        ]
    }


def placed_not_after(cursor: ResumeCursor, id_field: str) -> dict[str, Any]:
    return {
        "$or": [
            {"updated_ms": {"$lt": cursor.updated_ms}},
            {"updated_ms": {"$eq": cursor.updated_ms}, id_field: {"$lte": cursor.record_id}},
        ]
    }
