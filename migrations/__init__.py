"""Versioned MongoDB steps (indexes, data), applied in order, each once, recorded in `schema_migrations`."""

from migrations.runner import (
    MIGRATIONS_COLLECTION,
    MigrationHistoryError,
    MigrationInProgressError,
    MigrationStep,
    apply_migrations,
)

__all__ = [
    "MIGRATIONS_COLLECTION",
    "MigrationHistoryError",
    "MigrationInProgressError",
    "MigrationStep",
    "apply_migrations",
]
