"""The effective configuration as text: every setting, its environment variable and its value, secrets hidden."""

from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from entrypoints.settings import Settings

HIDDEN = "********"


def environment_names() -> list[str]:
    """Every environment variable the gateway reads, in the order the settings are declared."""
    return [name.upper() for name in Settings.model_fields]


def describe(settings: Settings) -> list[str]:
    """`NAME=value` per setting; a SecretStr that is set shows as ********, one unset as `NAME=` (unset, default)."""
    lines = []
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if value is None:
            shown = "  # unset"
        elif isinstance(value, SecretStr):
            shown = HIDDEN
        elif isinstance(value, bool):
            shown = "true" if value else "false"
        elif name in ("mongodb_url", "redis_url"):
            shown = without_password(str(value))
        else:
            shown = str(value.value if hasattr(value, "value") else value)
        lines.append(f"{name.upper()}={shown}")
    return lines


def without_password(url: str) -> str:
    """A MongoDB or Redis URL may carry `user:password@`: the password is hidden like any other secret."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return HIDDEN
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{HIDDEN}@{host}"))
