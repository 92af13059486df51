"""`NAME_FILE` variables: a secret may come from a file (a Docker or Kubernetes secret) instead of the environment."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

# The settings that are secrets; each may also be given as NAME_FILE, a path whose content (trimmed) is the value.
SECRET_SETTINGS = (
    "daraja_consumer_key",
    "daraja_consumer_secret",
    "daraja_passkey",
    "b2c_initiator_password",
    "operator_token",
    "client_token_keys",
    "webhook_endpoints",
)


# While set (by `collected_secret_file_problems`), problems are added to this list instead of refusing the settings.
_collected: ContextVar[list[str] | None] = ContextVar("secret_file_problems", default=None)


@contextmanager
def collected_secret_file_problems() -> Iterator[list[str]]:
    """Within: the NAME_FILE problems are gathered into the list yielded, and the settings read on without those
    files, so that the other settings' problems can be said in the same attempt."""
    problems: list[str] = []
    token = _collected.set(problems)
    try:
        yield problems
    finally:
        _collected.reset(token)


def with_secret_files(data: Any) -> Any:
    """`data` (the raw settings) with each secret given as NAME_FILE read in; ValueError naming every NAME_FILE
    set together with NAME or unreadable, one a line (or, within `collected_secret_file_problems`, those files
    left out and their problems collected)."""
    if not isinstance(data, dict):
        return data
    merged = dict(data)
    problems = []
    for name in SECRET_SETTINGS:
        path = os.environ.get(f"{name.upper()}_FILE")
        if not path:
            continue
        if any(key.lower() == name for key in data):
            problems.append(f"set {name.upper()} or {name.upper()}_FILE, not both")
            continue
        try:
            merged[name] = Path(path).read_text().strip()
        except OSError as error:
            problems.append(f"{name.upper()}_FILE: cannot read {path}: {error.strerror}")
    collected = _collected.get()
    if collected is not None:
        collected.extend(problem for problem in problems if problem not in collected)
    elif problems:
        raise ValueError("\n".join(problems))
    return merged
