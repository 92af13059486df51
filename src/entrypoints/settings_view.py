"""The effective configuration as text: every setting, its environment variable and its value, secrets hidden."""

from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from entrypoints.settings import MpesaEnvironment, Settings

HIDDEN = "********"


def environment_names() -> list[str]:
    """Every environment variable the gateway reads, in the order the settings are declared."""
    return [name.upper() for name in Settings.model_fields]


def _in_effect(settings: Settings) -> dict[str, str]:
    """What a setting left unset amounts to, where the gateway derives it (from MPESA_ENV, mostly)."""
    simulator = settings.mpesa_env is MpesaEnvironment.SIMULATOR
    environment = f"MPESA_ENV={settings.mpesa_env.value}"
    effective = {
        "client_auth": f"{settings.client_auth_mode().value}  # unset: the default with {environment}",
        "callback_source_check": (
            f"{settings.effective_callback_source_check.value}  # unset: the default with {environment}"
        ),
        "confirm_success_callbacks": _flag(settings.confirms_success_callbacks, environment),
        "webhook_allow_http": _flag(settings.webhooks_allow_http(), environment),
        "webhook_allow_private_networks": _flag(settings.webhook_allow_private_networks_in_effect(), environment),
        "callback_base_url": f"{settings.public_base_url}  # unset: this listener's own address",
        "mongodb_url": f"  # unset: the embedded store under {settings.data_dir / 'mongo'}",
        "daraja_base_url": (
            "  # unset: the bundled simulator, started on a free loopback port"
            if simulator
            else f"{settings.resolved_daraja_base_url()}  # unset: Safaricom's address for {environment}"
        ),
    }
    effective["daraja_party_b"] = f"{settings.shortcode()}  # unset: the shortcode"
    effective["c2b_shortcode"] = (
        f"{settings.registered_c2b_shortcode()}  # unset: DARAJA_SHORTCODE, else the sandbox's C2B Paybill"
    )
    effective["daraja_certificate_file"] = (
        "  # unset: the simulator's own certificate, fetched from it"
        if simulator
        else f"  # unset: Safaricom's {settings.mpesa_env.value} certificate, bundled with the gateway"
    )
    if simulator:
        simulated = "  # unset: the simulator's own public value, in effect"
        for name in ("daraja_consumer_key", "daraja_consumer_secret", "daraja_passkey", "b2c_initiator_password"):
            effective[name] = f"{HIDDEN}{simulated}"
        effective["daraja_shortcode"] = f"{settings.shortcode()}{simulated}"
    return effective


def _flag(value: bool, environment: str) -> str:
    return f"{'true' if value else 'false'}  # unset: the default with {environment}"


def describe(settings: Settings) -> list[str]:
    """`NAME=value` per setting; a SecretStr that is set shows as ********. A setting left unset shows what is in
    effect instead, where the gateway derives it, with a comment saying so; otherwise `NAME=  # unset`."""
    in_effect = _in_effect(settings)
    lines = []
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if value is None:
            shown = in_effect.get(name, "  # unset")
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
