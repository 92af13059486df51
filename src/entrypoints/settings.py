"""Configuration from environment variables, each with a documented default (docs/configuration.md)."""

import json
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.access.capability_token import TokenKeys
from domain.c2b.validation import ValidationRule
from domain.events.types import TypeFilter
from domain.shared.errors import DomainError
from domain.webhooks.destination import DestinationPolicy
from domain.webhooks.endpoint import checked_description, checked_url
from domain.webhooks.use_cases.apply_configuration import ConfiguredWebhook
from entrypoints.dev_certificate import self_signed_subject
from entrypoints.http.callback_sources import SAFARICOM_CALLBACK_ADDRESSES, SourceCheck
from entrypoints.secret_files import with_secret_files


class MpesaEnvironment(StrEnum):
    SIMULATOR = "simulator"
    SANDBOX = "sandbox"
    PRODUCTION = "production"


DARAJA_BASE_URLS = {
    MpesaEnvironment.SANDBOX: "https://sandbox.safaricom.co.ke",
    MpesaEnvironment.PRODUCTION: "https://api.safaricom.co.ke",
}
# The bundled simulator's own credentials: public by design, useless anywhere else.
SIMULATOR_CONSUMER_KEY = "simulator-consumer-key"
SIMULATOR_CONSUMER_SECRET = "simulator-consumer-secret"  # noqa: S105
SIMULATOR_INITIATOR_PASSWORD = "Safaricom999!*!"  # noqa: S105
SANDBOX_SHORTCODE = "174379"
# The sandbox's C2B test Paybill: its STK shortcode cannot hold C2B URLs (docs/daraja.md#c2b-register-url).
SANDBOX_C2B_SHORTCODE = "600984"
SANDBOX_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
# Daraja refuses callback URLs containing "mpesa" (docs/daraja.md#callback-url-rules), so the gateway hands it these
# paths; the older /api/v1/mpesa/... callback paths, which existing deployments registered, are served too.
STK_CALLBACK_PATH = "/api/v1/hooks/stk"
B2C_RESULT_PATH = "/api/v1/hooks/b2c/result"
B2C_TIMEOUT_PATH = "/api/v1/hooks/b2c/timeout"
B2C_STATUS_PATH = "/api/v1/hooks/b2c/status"
B2C_STATUS_TIMEOUT_PATH = "/api/v1/hooks/b2c/status-timeout"
BALANCE_RESULT_PATH = "/api/v1/hooks/balance/result"
BALANCE_TIMEOUT_PATH = "/api/v1/hooks/balance/queue"
REVERSAL_RESULT_PATH = "/api/v1/hooks/reversal/result"
REVERSAL_TIMEOUT_PATH = "/api/v1/hooks/reversal/queue"
REVERSAL_STATUS_PATH = "/api/v1/hooks/reversal/status"
REVERSAL_STATUS_TIMEOUT_PATH = "/api/v1/hooks/reversal/status-timeout"
C2B_VALIDATION_PATH = "/api/v1/hooks/c2b/validation"
C2B_CONFIRMATION_PATH = "/api/v1/hooks/c2b/confirmation"


# Between the problems of one ValueError from the settings' checks, so a reader can list them one a line.
PROBLEM_SEPARATOR = "\n"


class ClientAuth(StrEnum):
    OPEN = "open"
    SIGNED = "signed"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore", frozen=True)

    app_host: str = Field("localhost", description="Address the gateway listens on.")
    app_port: int = Field(3000, ge=1, le=65535, description="TCP port of the wss:// and https:// listener.")
    tls: bool = Field(True, description="Serve TLS itself; false only behind a TLS-terminating proxy.")
    ssl_certfile: Path = Field(
        Path("ssl/cert.pem"), description="PEM certificate; with the simulator a self-signed one is made if missing."
    )
    ssl_keyfile: Path = Field(Path("ssl/key.pem"), description="PEM private key of SSL_CERTFILE.")
    ws_max_message_bytes: int = Field(
        16 * 1024 * 1024, ge=1024, description="Largest WebSocket message a client may send, in bytes."
    )
    ws_idle_timeout: float = Field(960.0, gt=0, description="Seconds a socket may stay silent before it is closed.")
    ws_compression: bool = Field(True, description="Offer permessage-deflate compression on WebSockets.")
    shutdown_grace_seconds: int = Field(
        10, ge=0, description="Seconds a stopping gateway lets open requests and sockets finish."
    )
    # Limits against abuse (docs/protocol.md: Limits). Open sockets are counted per process, messages in Redis when set.
    ws_max_sockets: int = Field(10_000, ge=1, description="Open sockets one gateway process accepts in all.")
    ws_max_sockets_per_hash: int = Field(100, ge=1, description="Open sockets per client hash and endpoint.")
    ws_max_sockets_per_address: int = Field(2_000, ge=1, description="Open sockets per client IP address.")
    ws_messages_per_hash: int = Field(
        6_000, ge=1, description="Messages one client hash may send per WS_MESSAGE_WINDOW_SECONDS."
    )
    ws_messages_per_address: int = Field(
        60_000, ge=1, description="Messages one IP address may send per WS_MESSAGE_WINDOW_SECONDS."
    )
    ws_message_window_seconds: float = Field(60.0, gt=0, description="Window of the per-hash and per-address counts.")
    stk_one_pending_per_phone: bool = Field(
        True, description="Refuse a new STK push to a phone that still has one pending."
    )
    stk_prompt_lifetime_seconds: float = Field(
        120.0, gt=0, description="Longest the per-phone pending lock of STK_ONE_PENDING_PER_PHONE holds."
    )
    stk_prompts_per_phone: int = Field(
        5,
        ge=0,
        description="STK prompts one phone may get per STK_PROMPT_WINDOW_SECONDS; 0 for no limit. Counted in Redis "
        "with REDIS_URL (one count for every instance), otherwise by each instance in its own memory.",
    )
    stk_prompt_window_seconds: float = Field(3_600.0, gt=0, description="Window of STK_PROMPTS_PER_PHONE.")
    catch_up_window_seconds: float = Field(
        900.0, ge=0, description="Without after or since, how far back a connecting client is sent changed payments."
    )
    # The catch-up reads CATCH_UP_LIMIT records at a time (a page), until none is left or it sent the most a
    # connection may be sent; a client sent that many reconnects from the cursor it was given for the rest.
    catch_up_limit: int = Field(100, ge=1, le=1000, description="Records the catch-up reads per page.")
    catch_up_max_updates: int = Field(
        10_000, ge=1, description="Most catch-up updates one connection is sent; the rest follow from its cursor."
    )
    catch_up_settle_seconds: float = Field(
        5.0,
        ge=0,
        description="How far behind the read a caught_up cursor stays, so a change still being stored is not missed.",
    )

    mongodb_url: str | None = Field(
        None, description="MongoDB URL (mongodb:// or mongodb+srv://); unset starts the embedded store."
    )
    mongodb_database: str = Field("mpesa_gateway", description="Database name in the store.")
    mongodb_timeout_seconds: float = Field(
        2.0, gt=0, description="Seconds finding and connecting to the store may take."
    )
    data_dir: Path = Field(Path("var"), description="Where the embedded store and the simulator keep files and logs.")
    # Several instances (docs/operations.md): unset, everything stays in this process.
    redis_url: str | None = Field(
        None, description="Redis URL shared by several gateways; unset keeps sockets and limits in this process."
    )
    redis_key_prefix: str = Field(
        "mpesa_gateway", pattern=r"^[A-Za-z0-9_.:-]{1,64}$", description="Prefix of every Redis key and channel."
    )
    redis_stream_history: int = Field(
        1_000, ge=1, description="Updates kept per topic in its Redis stream (trimmed approximately)."
    )
    redis_stream_ttl_seconds: float = Field(
        3_600.0, gt=0, description="Seconds after a topic's last update its Redis stream is removed."
    )
    redis_timeout_seconds: float = Field(1.0, gt=0, description="Seconds to wait for Redis before a command fails.")

    mpesa_env: MpesaEnvironment = Field(
        MpesaEnvironment.SIMULATOR,
        description="Which Daraja: the bundled simulator, Safaricom's sandbox, or production.",
    )
    daraja_base_url: str | None = Field(None, description="Daraja's base URL, to override the one MPESA_ENV implies.")
    daraja_consumer_key: SecretStr | None = Field(None, description="Daraja app's consumer key.")
    daraja_consumer_secret: SecretStr | None = Field(None, description="Daraja app's consumer secret.")
    daraja_shortcode: str | None = Field(None, description="Paybill or till number STK pushes are paid to.")
    daraja_passkey: SecretStr | None = Field(None, description="Lipa Na M-PESA Online passkey of the shortcode.")
    daraja_transaction_type: str = Field(
        "CustomerPayBillOnline",
        pattern="^(CustomerPayBillOnline|CustomerBuyGoodsOnline)$",
        description="STK TransactionType: paybill or buy goods (till).",
    )
    daraja_party_b: str | None = Field(
        None, description="STK PartyB, the receiving code (the till with CustomerBuyGoodsOnline)."
    )
    daraja_timeout: float = Field(30.0, gt=0, description="Seconds to wait for a Daraja answer.")
    daraja_breaker_failures: int = Field(
        5, ge=1, description="Consecutive Daraja failures that open the circuit breaker."
    )
    daraja_breaker_reset_seconds: float = Field(
        30.0, gt=0, description="Seconds the open circuit waits before one trial call is let through."
    )
    daraja_query_attempts: int = Field(
        3,
        ge=1,
        le=10,
        description="Attempts of Daraja calls harmless to repeat (OAuth, queries); pushes and payouts are sent once.",
    )
    callback_base_url: str | None = Field(
        None, description="Public https address Daraja sends callbacks to (required with sandbox and production)."
    )

    b2c_shortcode: str = Field("600996", description="Shortcode B2C withdrawals are paid from.")
    b2c_initiator_name: str = Field("testapi", description="Daraja API operator (initiator) name for B2C.")
    b2c_initiator_password: SecretStr | None = Field(
        None, description="Initiator's password, encrypted into the B2C SecurityCredential."
    )
    b2c_command_id: str = Field(
        "BusinessPayment",
        pattern="^(BusinessPayment|SalaryPayment|PromotionPayment)$",
        description="B2C CommandID of every withdrawal.",
    )
    daraja_certificate_file: Path | None = Field(
        None, description="Safaricom's public certificate (PEM) that encrypts the initiator password."
    )
    b2c_min_amount: int = Field(10, ge=10, le=250_000, description="Smallest withdrawal, in KES.")
    b2c_max_amount: int = Field(250_000, ge=10, le=250_000, description="Largest withdrawal, in KES.")
    b2c_daily_limit: int = Field(500_000, ge=10, description="Most KES one hash may withdraw per Nairobi day.")
    balance_check_interval_seconds: float = Field(
        3600.0,
        ge=0,
        description="Seconds between two scheduled Account Balance queries of the B2C shortcode (0: only on demand).",
    )
    balance_low_threshold: int = Field(
        10_000,
        ge=0,
        description="KES below which the utility account's available balance emits balance.low (0: never).",
    )
    c2b_hook_secret: SecretStr | None = Field(
        None,
        min_length=32,
        description="Secret (32+ characters) ending the registered C2B validation and confirmation URLs; unset, "
        "they are not served.",
    )
    c2b_validation_rule: ValidationRule = Field(
        ValidationRule.ACCEPT_ALL,
        description="Which C2B payments validation accepts: accept_all, known_references, exact_amount.",
    )
    c2b_shortcode: str | None = Field(
        None,
        pattern="^[0-9]{5,7}$",
        description="Paybill or till number whose C2B validation and confirmation URLs the gateway registers.",
    )
    c2b_merchant_name: str = Field(
        "Merchant",
        min_length=1,
        max_length=100,
        description="The name a customer's M-PESA app shows for a payment request's QR code.",
    )
    c2b_pull_seconds: float = Field(
        0.0,
        ge=0,
        description="Seconds between two looks with Pull Transactions for C2B payments whose confirmation never "
        "arrived (0: no such look). Needs C2B_HOOK_SECRET and C2B_PULL_NOMINATED_NUMBER.",
    )
    c2b_pull_nominated_number: str | None = Field(
        None,
        pattern="^(254|0)[17][0-9]{8}$",
        description="The Safaricom number recorded against the C2B shortcode, which Pull's registration names.",
    )
    worker_enabled: bool = Field(True, description="Run the B2C worker and the reconciler inside serve.")
    worker_lease_seconds: float = Field(
        60.0, gt=0, description="Seconds a worker's claim lasts before another worker may take it over."
    )
    worker_poll_seconds: float = Field(
        1.0,
        gt=0,
        description="Seconds the worker first waits when it finds no queued work (longer while idle, up to "
        "IDLE_POLL_MAX_SECONDS).",
    )
    stk_first_check_seconds: float = Field(
        30.0, gt=0, description="Seconds after Daraja accepted a push before the reconciler first asks about it."
    )
    # A pending push still without Daraja's CheckoutRequestID after this is shown as outcome unknown.
    stk_outcome_unknown_after_seconds: float = Field(
        120.0, gt=0, description="Age at which a pending push with no CheckoutRequestID shows as outcome_unknown."
    )
    b2c_first_check_seconds: float = Field(
        60.0, gt=0, description="Seconds after a withdrawal was submitted before Transaction Status is first asked."
    )
    reversal_first_check_seconds: float = Field(
        120.0,
        gt=0,
        description="Seconds after Daraja accepted a reversal before Transaction Status is first asked about it.",
    )
    reconcile_max_delay_seconds: float = Field(
        300.0, gt=0, description="Longest wait between two checks of one record (the delay doubles, with jitter)."
    )
    reconcile_poll_seconds: float = Field(
        5.0,
        gt=0,
        description="Seconds the reconciler first waits when nothing is due (longer while idle, up to "
        "IDLE_POLL_MAX_SECONDS).",
    )
    # A loop that finds nothing waits longer each time, up to this: the most work queued by another instance (or
    # a due check) waits before this process looks (docs/performance.md: the idle process).
    idle_poll_max_seconds: float = Field(
        15.0,
        gt=0,
        description="Longest wait of an idle background loop between two looks at the store: the most work made "
        "by another instance waits (work made in this process wakes the loop at once).",
    )

    simulator_callback_delay: float = Field(
        2.0, ge=0, description="Seconds the bundled simulator waits before sending its callback."
    )
    stk_max_amount: int = Field(250_000, ge=1, le=250_000, description="Largest STK push, in KES.")
    operator_token: SecretStr | None = Field(
        None,
        min_length=32,
        description="Bearer token (32+ characters) of the read-only operator endpoints; unset, they are not served.",
    )
    callback_source_check: SourceCheck | None = Field(
        None, description="What to do with callbacks from outside CALLBACK_ALLOWED_NETWORKS: off, log, enforce."
    )
    # Unset: on with sandbox and production, off with the simulator (whose callbacks the tests forge on purpose).
    confirm_success_callbacks: bool | None = Field(
        None, description="Confirm each success callback with Daraja's own query before settling it."
    )
    callback_allowed_networks: str = Field(
        ",".join(SAFARICOM_CALLBACK_ADDRESSES), description="Comma-separated CIDRs Daraja's callbacks come from."
    )
    trusted_proxies: str = Field("", description="Comma-separated proxy addresses whose X-Forwarded-For is believed.")
    log_level: str = Field(
        "INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$", description="Least severe log line written (any case)."
    )
    # Count store commands by name and collection in /metrics (docs/performance.md); off: the driver builds no events.
    store_command_metrics: bool = Field(False, description="Count store commands by name and collection in /metrics.")

    # Client authorisation and transport (SECURITY.md).
    client_auth: ClientAuth | None = Field(
        None, description="open: any client by hash; signed: clients need a capability token."
    )
    client_token_keys: SecretStr | None = Field(
        None,
        description="Capability token keys, kid:secret,kid:secret (secrets 32+ bytes); the first mints, all verify.",
    )
    open_withdrawals: bool = Field(
        False, description="Let any client withdraw on a plain hash without a token (simulator only)."
    )
    allowed_origins: str = Field("", description="Comma-separated browser origins that may open sockets; * for any.")
    # Server credentials (docs/http-api.md): API keys on every server-to-server endpoint.
    api_keys_optional: bool = Field(
        False, description="Let server requests without an Authorization header through (simulator only)."
    )
    api_key_cache_seconds: float = Field(
        5.0, ge=0, le=60, description="Seconds a checked API key is trusted before the store is read again."
    )

    # Events and webhooks (docs/webhooks-and-events.md).
    webhook_endpoints: SecretStr | None = Field(
        None, description='JSON list of {"url", "secret", "event_types", "description"} webhook endpoints.'
    )
    webhook_allow_http: bool | None = Field(None, description="Allow plain http:// webhook URLs.")
    # Unset: every address with the simulator (the tests' receivers are on 127.0.0.1), public ones only elsewhere.
    webhook_allow_private_networks: bool | None = Field(
        None, description="Allow webhooks to private, loopback and link-local addresses."
    )
    webhook_allowed_networks: str = Field(
        "", description="Comma-separated CIDRs webhooks may reach although not public."
    )
    webhook_retry_hours: float = Field(
        72.0, gt=0, description="Hours an endpoint's held event is retried before the endpoint is disabled."
    )
    webhook_retry_base_seconds: float = Field(
        10.0, gt=0, description="The first retry's longest wait, doubling with each failure."
    )
    webhook_retry_max_seconds: float = Field(3_600.0, gt=0, description="Longest delay between two retries.")
    webhook_timeout_seconds: float = Field(10.0, gt=0, le=60, description="Seconds a webhook receiver has to answer.")
    webhook_poll_seconds: float = Field(
        1.0,
        gt=0,
        description="Seconds the event relay and the webhook deliverer first wait when idle (longer while idle, up "
        "to IDLE_POLL_MAX_SECONDS).",
    )
    webhook_concurrency: int = Field(8, ge=1, le=100, description="Webhook POSTs in flight at once per process.")

    @model_validator(mode="before")
    @classmethod
    def _secrets_from_files(cls, data: object) -> object:
        return with_secret_files(data)

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level_any_case(cls, level: object) -> object:
        return level.upper() if isinstance(level, str) else level

    @field_validator("client_token_keys")
    @classmethod
    def _token_keys_parse(cls, keys: SecretStr | None) -> SecretStr | None:
        if keys is not None:
            TokenKeys.parse(keys.get_secret_value())
        return keys

    def client_auth_mode(self) -> ClientAuth:
        if self.client_auth is not None:
            return self.client_auth
        return ClientAuth.OPEN if self.mpesa_env is MpesaEnvironment.SIMULATOR else ClientAuth.SIGNED

    def token_keys(self) -> TokenKeys | None:
        keys = self.client_token_keys
        return None if keys is None else TokenKeys.parse(keys.get_secret_value())

    def origin_allow_list(self) -> frozenset[str] | None:
        """Origins a browser may open sockets from; None for any (`*`, or unset in open mode)."""
        listed = frozenset(
            origin.strip().lower().rstrip("/") for origin in self.allowed_origins.split(",") if origin.strip()
        )
        if "*" in listed or (not listed and self.client_auth_mode() is ClientAuth.OPEN):
            return None
        return listed or frozenset({own_origin(self.public_base_url)})

    @model_validator(mode="after")
    def _combinations_are_valid(self) -> "Settings":
        problems = self.combination_problems()
        if problems:
            raise ValueError(PROBLEM_SEPARATOR.join(problems))
        return self

    def combination_problems(self) -> list[str]:
        """What no single setting can say wrong by itself, every problem at once, each naming what to set.

        The credentials come first, so a bare sandbox or production configuration is told what Daraja needs first.
        """
        problems = []
        if self.b2c_min_amount > self.b2c_max_amount:
            problems.append("B2C_MIN_AMOUNT must not exceed B2C_MAX_AMOUNT")
        if self.c2b_pull_seconds > 0 and (self.c2b_hook_secret is None or self.c2b_pull_nominated_number is None):
            problems.append("C2B_PULL_SECONDS needs C2B_HOOK_SECRET and C2B_PULL_NOMINATED_NUMBER")
        problems += self._real_daraja_problems()
        problems += self.client_exposure_problems()
        if self.client_auth_mode() is ClientAuth.SIGNED and self.client_token_keys is None:
            problems.append(
                "CLIENT_AUTH=signed needs CLIENT_TOKEN_KEYS (or CLIENT_TOKEN_KEYS_FILE): kid:secret,kid:secret, "
                "secrets of 32+ bytes"
            )
        try:
            self.webhook_destinations()
            self.configured_webhooks()
        except ValueError as fault:
            problems.append(str(fault))
        return problems

    def _real_daraja_problems(self) -> list[str]:
        if self.mpesa_env is MpesaEnvironment.SIMULATOR:
            return []
        needed = (
            "daraja_consumer_key",
            "daraja_consumer_secret",
            "daraja_shortcode",
            "daraja_passkey",
            "b2c_initiator_password",
        )
        missing = [name for name in needed if getattr(self, name) is None]
        problems = []
        if missing:
            problems.append(f"MPESA_ENV={self.mpesa_env.value} needs {', '.join(n.upper() for n in missing)}")
        if self.callback_base_url is None:
            problems.append(f"MPESA_ENV={self.mpesa_env.value} needs CALLBACK_BASE_URL, the public https address")
        return problems

    def client_exposure_problems(self) -> list[str]:
        """What would open the gateway to anyone outside simulator mode, each with what to set instead.

        Sandbox is real Safaricom (real phones get prompts, with test money), so it refuses what production refuses,
        except that it may leave ALLOWED_ORIGINS unset (signed mode then admits the gateway's own origin only, never
        any) and run on the dev certificate. Simulator mode (`make run`) refuses none of these.
        """
        env = self.mpesa_env
        if env is MpesaEnvironment.SIMULATOR:
            return []
        refused = f"is refused with MPESA_ENV={env.value}"
        problems = []
        if self.open_withdrawals:
            problems.append(f"OPEN_WITHDRAWALS=true {refused}")
        if self.api_keys_optional:
            problems.append(f"API_KEYS_OPTIONAL=true {refused}")
        if self.client_auth is ClientAuth.OPEN:
            problems.append(f"CLIENT_AUTH=open {refused}: use CLIENT_AUTH=signed with CLIENT_TOKEN_KEYS")
        if env is MpesaEnvironment.PRODUCTION:
            origins = {origin.strip() for origin in self.allowed_origins.split(",") if origin.strip()}
            if not origins or "*" in origins:
                problems.append(
                    f"ALLOWED_ORIGINS {'*' if origins else 'unset'} {refused}: list the https origins of your pages"
                )
            dev_certificate = self.tls and self_signed_subject(self.ssl_certfile)
            if dev_certificate:
                problems.append(
                    f"SSL_CERTFILE is a self-signed certificate ({dev_certificate}, such as `mpesa-gateway dev-cert` "
                    f"makes) {refused}: use one a CA issued, or TLS=false behind a TLS-terminating proxy"
                )
        return problems

    def webhooks_allow_http(self) -> bool:
        if self.webhook_allow_http is not None:
            return self.webhook_allow_http
        return self.mpesa_env is MpesaEnvironment.SIMULATOR

    def webhook_destinations(self) -> DestinationPolicy:
        """Where webhooks may go; ValueError for a WEBHOOK_ALLOWED_NETWORKS entry that is not a CIDR."""
        return DestinationPolicy.parse(self.webhook_allow_private_networks_in_effect(), self.webhook_allowed_networks)

    def webhook_allow_private_networks_in_effect(self) -> bool:
        if self.webhook_allow_private_networks is not None:
            return self.webhook_allow_private_networks
        return self.mpesa_env is MpesaEnvironment.SIMULATOR

    def configured_webhooks(self) -> list[ConfiguredWebhook]:
        """WEBHOOK_ENDPOINTS, checked by the rules the API applies; ValueError naming the first fault."""
        if self.webhook_endpoints is None:
            return []
        try:
            listed = json.loads(self.webhook_endpoints.get_secret_value())
        except ValueError:
            raise ValueError("WEBHOOK_ENDPOINTS must be a JSON list of endpoints") from None
        if not isinstance(listed, list) or not all(isinstance(entry, dict) for entry in listed):
            raise ValueError("WEBHOOK_ENDPOINTS must be a JSON list of objects")
        return [self._configured_webhook(number, entry) for number, entry in enumerate(listed)]

    def _configured_webhook(self, number: int, entry: dict[str, object]) -> ConfiguredWebhook:
        where = f"WEBHOOK_ENDPOINTS[{number}]"
        if set(entry) - {"url", "secret", "event_types", "description"}:
            raise ValueError(f"{where}: only url, secret, event_types and description are allowed")
        url, secret = entry.get("url"), entry.get("secret")
        types, description = entry.get("event_types", ["*"]), entry.get("description", "")
        if not isinstance(url, str) or not isinstance(secret, str) or len(secret) < 24:
            raise ValueError(f"{where}: needs a url and a secret of at least 24 characters")
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise ValueError(f"{where}: event_types must be a list of event types")
        if not isinstance(description, str):
            raise ValueError(f"{where}: description must be text")
        try:
            return ConfiguredWebhook(
                checked_url(url, allow_http=self.webhooks_allow_http(), destinations=self.webhook_destinations()),
                secret,
                TypeFilter.parse(types),
                checked_description(description),
            )
        except DomainError as fault:
            raise ValueError(f"{where}: {fault.message}") from None

    @property
    def effective_callback_source_check(self) -> SourceCheck:
        """Enforced by default only in production: Safaricom publishes no list, so elsewhere refusals are logged."""
        if self.callback_source_check is not None:
            return self.callback_source_check
        return SourceCheck.ENFORCE if self.mpesa_env is MpesaEnvironment.PRODUCTION else SourceCheck.LOG

    @property
    def confirms_success_callbacks(self) -> bool:
        """Whether a success callback waits for Daraja's own query (STK query, Transaction Status) to confirm it."""
        if self.confirm_success_callbacks is not None:
            return self.confirm_success_callbacks
        return self.mpesa_env is not MpesaEnvironment.SIMULATOR

    @property
    def public_base_url(self) -> str:
        scheme = "https" if self.tls else "http"
        return (self.callback_base_url or f"{scheme}://{self.app_host}:{self.app_port}").rstrip("/")

    def consumer_key(self) -> str:
        return self.daraja_consumer_key.get_secret_value() if self.daraja_consumer_key else SIMULATOR_CONSUMER_KEY

    def consumer_secret(self) -> str:
        secret = self.daraja_consumer_secret
        return secret.get_secret_value() if secret else SIMULATOR_CONSUMER_SECRET

    def shortcode(self) -> str:
        return self.daraja_shortcode or SANDBOX_SHORTCODE

    def registered_c2b_shortcode(self) -> str:
        return self.c2b_shortcode or self.daraja_shortcode or SANDBOX_C2B_SHORTCODE

    def passkey(self) -> str:
        return self.daraja_passkey.get_secret_value() if self.daraja_passkey else SANDBOX_PASSKEY

    def initiator_password(self) -> str:
        password = self.b2c_initiator_password
        return password.get_secret_value() if password else SIMULATOR_INITIATOR_PASSWORD

    def resolved_daraja_base_url(self) -> str:
        if self.daraja_base_url:
            return self.daraja_base_url
        if self.mpesa_env is MpesaEnvironment.SIMULATOR:
            raise ValueError("the simulator's address is not known yet: start it first (local_services)")
        return DARAJA_BASE_URLS[self.mpesa_env]


def own_origin(base_url: str) -> str:
    """The Origin a browser sends for pages served from `base_url` (default ports left out)."""
    parts = urlsplit(base_url.lower())
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}" + ("" if parts.port in (None, default) else f":{parts.port}")
