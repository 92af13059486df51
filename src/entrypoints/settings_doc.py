"""docs/configuration.md, rendered from the settings themselves (`mpesa-gateway config --markdown`), so it cannot drift.

Each setting's description is its Field(description=...); its accepted form comes from its type and constraints, and
its effective default per MPESA_ENV from the same Settings methods the gateway calls.
"""

import re
from enum import Enum
from pathlib import Path
from types import NoneType, UnionType
from typing import Union, get_args, get_origin

import annotated_types
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from entrypoints.secret_files import SECRET_SETTINGS
from entrypoints.settings import SANDBOX_C2B_SHORTCODE, MpesaEnvironment, Settings

REGENERATE = "mpesa-gateway config --markdown > docs/configuration.md"

# Text settings whose accepted form is a structure their type cannot say.
_FORMS = {
    "app_host": "host name or IP address",
    "mongodb_url": "`mongodb://` or `mongodb+srv://` URL",
    "redis_url": "`redis://[:password@]host:6379/0` or `rediss://` URL",
    "daraja_base_url": "https URL",
    "callback_base_url": "public https URL",
    "daraja_shortcode": "digits",
    "daraja_party_b": "digits",
    "b2c_shortcode": "digits",
    "c2b_shortcode": "digits",
    "callback_allowed_networks": "comma-separated addresses or CIDRs",
    "trusted_proxies": "comma-separated addresses or CIDRs",
    "webhook_allowed_networks": "comma-separated CIDRs",
    "allowed_origins": "comma-separated origins (`https://shop.example`), or `*`",
    "client_token_keys": "`kid:secret,kid:secret` (ids 1–32 of `A-Za-z0-9_-`, secrets 32+ bytes)",
    "webhook_endpoints": 'JSON list of `{"url", "secret", "event_types", "description"}`',
}

_SIMULATOR_VALUE = "the simulator's public value"
_REQUIRED = "required"


def _when_unset(settings: Settings) -> dict[str, str]:
    """What each setting that may be left unset amounts to with `settings.mpesa_env` (the others' own defaults)."""
    simulator = settings.mpesa_env is MpesaEnvironment.SIMULATOR
    signed_origins = settings.origin_allow_list()
    derived: dict[str, str] = {
        "client_auth": f"`{settings.client_auth_mode().value}`",
        "callback_source_check": f"`{settings.effective_callback_source_check.value}`",
        "confirm_success_callbacks": _flag(settings.confirms_success_callbacks),
        "webhook_allow_http": _flag(settings.webhooks_allow_http()),
        "webhook_allow_private_networks": _flag(settings.webhook_allow_private_networks_in_effect()),
        "mongodb_url": "the embedded store under `DATA_DIR/mongo`",
        "daraja_base_url": (
            "the bundled simulator, on a free loopback port"
            if simulator
            else f"`{settings.resolved_daraja_base_url()}`"
        ),
        "daraja_party_b": "`DARAJA_SHORTCODE`",
        "c2b_shortcode": f"`DARAJA_SHORTCODE` when set, else `{SANDBOX_C2B_SHORTCODE}`",
        "daraja_certificate_file": (
            "the simulator's own certificate" if simulator else f"Safaricom's {settings.mpesa_env.value} certificate"
        ),
        "callback_base_url": "`https://APP_HOST:APP_PORT`" if simulator else _REQUIRED,
        "client_token_keys": _REQUIRED if settings.client_auth_mode().value == "signed" else "unset",
        "allowed_origins": (
            "any origin"
            if signed_origins is None
            else (_REQUIRED if settings.mpesa_env is MpesaEnvironment.PRODUCTION else "the gateway's own origin")
        ),
    }
    for name in ("daraja_consumer_key", "daraja_consumer_secret", "daraja_passkey", "b2c_initiator_password"):
        derived[name] = _SIMULATOR_VALUE if simulator else _REQUIRED
    derived["daraja_shortcode"] = f"`{settings.shortcode()}`" if simulator else _REQUIRED
    return derived


def _flag(value: bool) -> str:
    return "`true`" if value else "`false`"


def accepted_form(name: str, field: FieldInfo | None = None) -> str:
    """What a setting accepts, as a reader would write it: its type, choices and bounds (and `NAME_FILE` for
    secrets)."""
    field = field or Settings.model_fields[name]
    kind = _without_none(field.annotation)
    choices = _pattern_choices(field)
    if choices:
        form = _one_of(choices)
    elif isinstance(kind, type) and issubclass(kind, Enum):
        form = _one_of([str(member.value) for member in kind])
    elif kind is bool:
        form = "`true` or `false`"
    elif name in _FORMS:
        form = _FORMS[name]
    elif kind is int:
        form = "whole number"
    elif kind is float:
        form = "number"
    elif kind is Path:
        form = "file path" if name.endswith("file") else "directory path"
    elif kind is SecretStr:
        form = "secret text"
    else:
        form = "text"
    bounds = _bounds(field)
    if bounds:
        form = f"{form}, {bounds}"
    if name in SECRET_SETTINGS:
        form = f"{form}; or `{name.upper()}_FILE`, a file holding it"
    return form


def _without_none(annotation: object) -> object:
    if get_origin(annotation) in (Union, UnionType):
        remaining = [arg for arg in get_args(annotation) if arg is not NoneType]
        return remaining[0] if len(remaining) == 1 else annotation
    return annotation


def _pattern_choices(field: FieldInfo) -> list[str]:
    for constraint in field.metadata:
        pattern = getattr(constraint, "pattern", None)
        if isinstance(pattern, str) and (listed := re.fullmatch(r"\^\(([\w|]+)\)\$", pattern)):
            return listed.group(1).split("|")
    return []


def _one_of(choices: list[str]) -> str:
    quoted = [f"`{choice}`" for choice in choices]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _bounds(field: FieldInfo) -> str:
    lower = upper = ""
    said = []
    for constraint in field.metadata:
        match constraint:
            case annotated_types.Ge(ge=bound):
                lower = f"at least {bound}"
            case annotated_types.Gt(gt=bound):
                lower = f"more than {bound}"
            case annotated_types.Le(le=bound):
                upper = f"at most {bound}"
            case annotated_types.MinLen(min_length=bound):
                said.append(f"{bound}+ characters")
            case _:
                pattern = getattr(constraint, "pattern", None)
                if isinstance(pattern, str) and not _pattern_choices(field):
                    said.append(f"matching `{pattern}`")
    if lower.startswith("at least") and upper:
        said.insert(0, f"{lower.removeprefix('at least ')} to {upper.removeprefix('at most ')}")
    else:
        said[:0] = [bound for bound in (lower, upper) if bound]
    return ", ".join(said)


def _shown(value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return _flag(value)
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`" if str(value) else "empty"


def default_in_effect(name: str) -> str:
    """The default, or per MPESA_ENV where the gateway derives it differently (`simulator: x; sandbox: y; ...`)."""
    per_environment: dict[str, str] = {}
    for environment in MpesaEnvironment:
        derived = _when_unset(Settings.model_construct(mpesa_env=environment))
        per_environment[environment.value] = derived.get(name) or _shown(Settings.model_fields[name].default)
    if len(set(per_environment.values())) == 1:
        return next(iter(per_environment.values()))
    return "; ".join(f"{environment}: {value}" for environment, value in per_environment.items())


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


_INTRO = f"""# Configuration

<!-- Generated from src/entrypoints/settings.py: do not edit. Regenerate with `{REGENERATE}`. -->

The gateway reads every setting from an environment variable of the same name (in any case). A value that does not
have its accepted form stops start-up: `mpesa-gateway serve` names every bad setting at once, with its accepted form,
in one short block on stderr, and exits with status 1. `mpesa-gateway config` prints the value each setting has (secrets
shown as `********`).

Where a setting's default depends on `MPESA_ENV`, the default column gives it for each environment. "required" means
that environment refuses to start without it; "the simulator's public value" is the bundled simulator's own
credential, useless anywhere else. Some settings are checked together: `B2C_MIN_AMOUNT` may not exceed
`B2C_MAX_AMOUNT`; with `sandbox` and `production`, `OPEN_WITHDRAWALS`, `API_KEYS_OPTIONAL` and `CLIENT_AUTH=open` are
refused; with `production`, `ALLOWED_ORIGINS` must list origins (not `*`) and `SSL_CERTFILE` may not be self-signed.

Secrets ({", ".join(f"`{name.upper()}`" for name in SECRET_SETTINGS)}) may instead be read from a file
named by `NAME_FILE` (a Docker or Kubernetes secret; its trailing newline is trimmed); setting both is refused.

This page is generated from the settings code by `{REGENERATE}`; a test fails when it is out of date.

| Variable | Accepted | Default | Description |
|---|---|---|---|
"""


def render_markdown() -> str:
    rows = []
    for name, field in Settings.model_fields.items():
        if not field.description:
            raise ValueError(f"{name.upper()} has no description: give it Field(description=...) in settings.py")
        cells = (f"`{name.upper()}`", accepted_form(name, field), default_in_effect(name), field.description)
        rows.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return _INTRO + "\n".join(rows) + "\n"
