"""Everything a running simulator can be told, read from SIM_* environment variables."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from daraja_simulator.balances import OPENING_CENTS, UTILITY

# Safaricom's public sandbox passkey for shortcode 174379 (docs/daraja.md#environments): not a secret.
SANDBOX_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"


def kes_cents(text: object, name: str) -> int:
    """An amount of KES given as text or a number ("5000", "5000.50"), in cents."""
    try:
        amount = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValueError(f"{name} must be an amount in KES, not {text!r}") from None
    if not amount.is_finite() or abs(amount) >= 10**12 or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{name} must be an amount in KES with at most two decimals, not {text!r}")
    return int(amount * 100)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    consumer_key: str = "simulator-consumer-key"
    consumer_secret: str = "simulator-consumer-secret"  # noqa: S105 - the simulator's own test value
    shortcode: str = "174379"
    passkey: str = SANDBOX_PASSKEY
    b2c_shortcode: str = "600996"
    initiator_name: str = "testapi"
    initiator_password: str = "Safaricom999!*!"  # noqa: S105 - the widely published sandbox value
    callback_delay: float = 2.0
    slow_seconds: float = 3.0
    token_ttl: int = 3599
    # Off by default: in development the gateway's callback endpoints use a self-signed certificate.
    verify_tls: bool = False
    # Both set: use this key pair for SecurityCredential instead of one generated per process.
    cert_file: str | None = None
    key_file: str | None = None
    # "published": every body in the form Safaricom's pages show; "varied": each body in any form seen in the wild,
    # drawn with body_seed (None: a fresh seed, logged). See daraja_simulator.body_forms.
    body_forms: str = "published"
    body_seed: int | None = None
    # C2B (docs/simulator.md, "C2B"): "sandbox" lets URLs be registered again and serves simulate; "production"
    # refuses a second registration (500.003.1001) and has no simulate.
    c2b_mode: str = "sandbox"
    # Whether validation URLs are called (on a real shortcode Safaricom enables this on request).
    c2b_validation: bool = True
    c2b_validation_timeout: float = 8.0
    # How confirmations carry the MSISDN: "auto" (v1 registrations sha256, v2 masked), plain, masked or sha256.
    c2b_msisdn_form: str = "auto"
    # The C2B product the Daraja app holds: "any", or "v1"/"v2" (the other Register URL path answers 401.003.01).
    c2b_product: str = "any"
    pull_page_size: int = 100
    # The Utility Account's opening balance in KES (None: 10,000,000.00); a low one shows the balance.low path.
    utility_balance: str | None = None

    def __post_init__(self) -> None:
        if self.body_forms not in ("published", "varied"):
            raise ValueError(f"SIM_BODY_FORMS must be published or varied, not {self.body_forms!r}")
        if self.c2b_mode not in ("sandbox", "production"):
            raise ValueError(f"SIM_C2B_MODE must be sandbox or production, not {self.c2b_mode!r}")
        if self.c2b_msisdn_form not in ("auto", "plain", "masked", "sha256"):
            raise ValueError(f"SIM_C2B_MSISDN_FORM must be auto, plain, masked or sha256, not {self.c2b_msisdn_form!r}")
        if self.c2b_product not in ("any", "v1", "v2"):
            raise ValueError(f"SIM_C2B_PRODUCT must be any, v1 or v2, not {self.c2b_product!r}")
        if self.utility_balance is not None:
            kes_cents(self.utility_balance, "SIM_UTILITY_BALANCE")

    def opening_balances(self) -> dict[str, int]:
        opening = dict(OPENING_CENTS)
        if self.utility_balance is not None:
            opening[UTILITY] = kes_cents(self.utility_balance, "SIM_UTILITY_BALANCE")
        return opening

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "SimulatorConfig":
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            consumer_key=env.get("SIM_CONSUMER_KEY", defaults.consumer_key),
            consumer_secret=env.get("SIM_CONSUMER_SECRET", defaults.consumer_secret),
            shortcode=env.get("SIM_SHORTCODE", defaults.shortcode),
            passkey=env.get("SIM_PASSKEY", defaults.passkey),
            b2c_shortcode=env.get("SIM_B2C_SHORTCODE", defaults.b2c_shortcode),
            initiator_name=env.get("SIM_INITIATOR_NAME", defaults.initiator_name),
            initiator_password=env.get("SIM_INITIATOR_PASSWORD", defaults.initiator_password),
            callback_delay=float(env.get("SIM_CALLBACK_DELAY", defaults.callback_delay)),
            slow_seconds=float(env.get("SIM_SLOW_SECONDS", defaults.slow_seconds)),
            token_ttl=int(env.get("SIM_TOKEN_TTL", defaults.token_ttl)),
            verify_tls=_flag(env, "SIM_VERIFY_TLS", defaults.verify_tls),
            cert_file=env.get("SIM_CERT_FILE") or None,
            key_file=env.get("SIM_KEY_FILE") or None,
            body_forms=env.get("SIM_BODY_FORMS", defaults.body_forms).strip().lower(),
            body_seed=int(env["SIM_BODY_SEED"]) if env.get("SIM_BODY_SEED") else None,
            c2b_mode=env.get("SIM_C2B_MODE", defaults.c2b_mode).strip().lower(),
            c2b_validation=_flag(env, "SIM_C2B_VALIDATION", defaults.c2b_validation),
            c2b_validation_timeout=float(env.get("SIM_C2B_VALIDATION_TIMEOUT", defaults.c2b_validation_timeout)),
            c2b_msisdn_form=env.get("SIM_C2B_MSISDN_FORM", defaults.c2b_msisdn_form).strip().lower(),
            c2b_product=env.get("SIM_C2B_PRODUCT", defaults.c2b_product).strip().lower(),
            pull_page_size=int(env.get("SIM_PULL_PAGE_SIZE", defaults.pull_page_size)),
            utility_balance=env.get("SIM_UTILITY_BALANCE") or None,
        )


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")
