"""`mpesa-gateway`: serve the gateway, apply migrations, run the Daraja simulator, make a dev certificate."""

import asyncio
import gc
import signal
import ssl
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import click
import structlog
import uvicorn

if TYPE_CHECKING:
    from entrypoints.bootstrap.containers import ApplicationContainer

from domain.access.api_key import KEY_SCOPES
from entrypoints.dev_certificate import ensure_dev_certificate
from entrypoints.logging_setup import configure_logging
from entrypoints.settings import MpesaEnvironment, Settings
from entrypoints.settings_view import describe, environment_names
from entrypoints.websocket_transport import StatelessDeflateProtocol

logger = structlog.get_logger()
T = TypeVar("T")

_SEE_CONFIG = "Run `mpesa-gateway config` to see every setting with its value; docs/configuration.md explains each."
# Every setting's variable, for the --help of the commands that read them all.
_ALL_SETTINGS = f"Environment: {', '.join(environment_names())}. {_SEE_CONFIG}"
_STORE_SETTINGS = (
    f"Environment: MONGODB_URL, MONGODB_DATABASE, MONGODB_TIMEOUT_SECONDS, DATA_DIR, LOG_LEVEL. {_SEE_CONFIG}"
)
_CERT_SETTINGS = f"Environment: SSL_CERTFILE, SSL_KEYFILE, APP_HOST. {_SEE_CONFIG}"
_SIM_SETTINGS = (
    "Environment: SIM_CONSUMER_KEY, SIM_CONSUMER_SECRET, SIM_SHORTCODE, SIM_PASSKEY, SIM_B2C_SHORTCODE, "
    "SIM_INITIATOR_NAME, SIM_INITIATOR_PASSWORD, SIM_CALLBACK_DELAY, SIM_SLOW_SECONDS, SIM_TOKEN_TTL, "
    "SIM_VERIFY_TLS, SIM_CERT_FILE, SIM_KEY_FILE (the gateway's own settings do not apply)."
)


def load_settings() -> Settings:
    from entrypoints.settings_problems import settings_or_refusal

    settings = settings_or_refusal()
    if isinstance(settings, str):
        raise click.ClickException(settings)
    return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Self-hosted M-PESA gateway: STK push and B2C over secure WebSockets.

    Settings come from environment variables: `mpesa-gateway config` prints them all with their values."""


@main.command(epilog=_ALL_SETTINGS)
def serve() -> None:
    """Serve wss:// and https:// on APP_HOST:APP_PORT (starts the embedded store and simulator when unset)."""
    from entrypoints.app import served_app
    from entrypoints.bootstrap.containers import ApplicationContainer
    from entrypoints.bootstrap.lifecycle import local_services
    from entrypoints.collector_tuning import settle_garbage_collector
    from entrypoints.http.demo import DEMO_PATH
    from entrypoints.http.schema_viewer import SCHEMA_PATH
    from entrypoints.preflight import listener_problems, store_reachability_problem, store_url_problem
    from entrypoints.serving import DrainingServer

    settings = load_settings()
    configure_logging(settings.log_level)
    in_development = settings.tls and settings.mpesa_env is MpesaEnvironment.SIMULATOR
    if in_development and ensure_dev_certificate(settings.ssl_certfile, settings.ssl_keyfile, settings.app_host):
        logger.info("dev_certificate_created", certfile=str(settings.ssl_certfile))
    _refuse_to_start_on([*listener_problems(settings), *filter(None, [store_url_problem(settings.mongodb_url)])])
    # uvicorn re-raises the signal that stopped it; as SystemExit, it unwinds through local_services, which then
    # stops the embedded store and the simulator instead of leaving them orphaned.
    signal.signal(signal.SIGTERM, _exit_quietly)
    with local_services(settings) as resolved:
        _refuse_to_start_on(
            [problem]
            if (problem := store_reachability_problem(str(resolved.mongodb_url), resolved.mongodb_timeout_seconds))
            else []
        )
        container = ApplicationContainer(settings=resolved)
        prepare_b2c(container)
        address = f"{'https' if resolved.tls else 'http'}://{resolved.app_host}:{resolved.app_port}"
        logger.info(
            "gateway_starting",
            host=resolved.app_host,
            port=resolved.app_port,
            mpesa_env=resolved.mpesa_env.value,
            daraja=resolved.resolved_daraja_base_url(),
            tls=resolved.tls,
            schema_url=f"{address}{SCHEMA_PATH}",
            **({"demo_url": f"{address}{DEMO_PATH}"} if resolved.mpesa_env is MpesaEnvironment.SIMULATOR else {}),
        )
        config = uvicorn.Config(
            served_app(container),
            host=resolved.app_host,
            port=resolved.app_port,
            ssl_certfile=str(resolved.ssl_certfile) if resolved.tls else None,
            ssl_keyfile=str(resolved.ssl_keyfile) if resolved.tls else None,
            # Said, not guessed: uvicorn takes a plain function for ASGI 2, and the app's outer layers are plain
            # functions that hand back the inner app's coroutine (entrypoints.app.served_app).
            interface="asgi3",
            ws=StatelessDeflateProtocol,
            ws_max_size=resolved.ws_max_message_bytes,
            ws_per_message_deflate=resolved.ws_compression,
            log_config=None,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=resolved.shutdown_grace_seconds,
        )
        config.load()
        if config.ssl is not None:  # TLS 1.2 at least, whatever the OpenSSL defaults of the host
            config.ssl.minimum_version = ssl.TLSVersion.TLSv1_2
        log_client_security(resolved)
        frozen = settle_garbage_collector()  # last, once the app and its settings exist (collector_tuning.py)
        logger.info("garbage_collector_settled", frozen_objects=frozen, thresholds=list(gc.get_threshold()))
        DrainingServer(config, container.sockets.socket_limits().drain).run()


def log_client_security(settings: Settings) -> None:
    origins = settings.origin_allow_list()
    logger.info(
        "client_security",
        client_auth=settings.client_auth_mode().value,
        allowed_origins=sorted(origins) if origins is not None else "any",
        tls=settings.tls,
    )
    if settings.open_withdrawals:
        logger.warning(
            "security_open_withdrawals",
            message="OPEN_WITHDRAWALS=true: ANY client may withdraw on a plain hash, without a token (simulator only)",
        )
    if settings.api_keys_optional:
        logger.warning(
            "security_api_keys_optional",
            message="API_KEYS_OPTIONAL=true: server endpoints take requests WITHOUT an API key (simulator only)",
        )
    if not settings.tls:
        logger.warning("security_plaintext_listener", message="TLS=false: serve only behind a TLS-terminating proxy")


def _refuse_to_start_on(problems: list[str]) -> None:
    if len(problems) == 1:
        raise click.ClickException(f"cannot start: {problems[0]}")
    if problems:
        raise click.ClickException("cannot start:\n" + "\n".join(f"  - {problem}" for problem in problems))


def _exit_quietly(_signal: int, _frame: object) -> None:
    raise SystemExit(0)


def prepare_b2c(container: "ApplicationContainer") -> None:
    """Compute the SecurityCredential before serving, so a wrong certificate or password stops start-up."""
    try:
        container.daraja.security_credential()
    except Exception as error:
        raise click.ClickException(f"cannot compute the B2C SecurityCredential: {error}") from None


@main.command(epilog=_ALL_SETTINGS)
def worker() -> None:
    """Send queued B2C withdrawals, reconcile overdue outcomes, relay events and deliver webhooks, without HTTP.

    MONGODB_URL and, with the simulator, DARAJA_BASE_URL must name what the gateways use. Runs until SIGTERM or
    Ctrl-C, finishing the withdrawal being sent."""
    from entrypoints.bootstrap.containers import worker_container

    settings = load_settings()
    configure_logging(settings.log_level)
    if settings.mongodb_url is None:
        raise click.ClickException("the worker needs MONGODB_URL: the store the gateways use")
    if settings.mpesa_env is MpesaEnvironment.SIMULATOR and settings.daraja_base_url is None:
        raise click.ClickException("the worker needs DARAJA_BASE_URL: the simulator the gateways use")
    container = worker_container(settings)
    prepare_b2c(container)
    asyncio.run(_run_worker(container))


async def _run_worker(container: "ApplicationContainer") -> None:
    from entrypoints.bootstrap.lifecycle import Lifecycle

    # With Redis, the worker's updates (`submitted`) reach the clients of every gateway through it.
    lifecycle = Lifecycle(container, background=True, channels=True)
    async with lifecycle:
        await lifecycle.run_until_stopped()


@main.command(epilog=_STORE_SETTINGS)
def migrate() -> None:
    """Apply every MongoDB migration step not applied yet (the gateway also does this at start-up)."""
    from entrypoints.bootstrap.containers import ApplicationContainer
    from entrypoints.bootstrap.lifecycle import Lifecycle, local_services

    settings = load_settings()
    configure_logging(settings.log_level, stream=sys.stderr)

    async def run(container: ApplicationContainer) -> list[str]:
        lifecycle = Lifecycle(container)
        async with lifecycle:
            return lifecycle.applied

    with local_services(settings, simulator=False, join_running=True) as resolved:
        applied = asyncio.run(run(ApplicationContainer(settings=resolved)))
    click.echo("\n".join(applied) if applied else "nothing to apply")


@main.command(epilog=_SIM_SETTINGS)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8300, show_default=True, type=int)
def simulator(host: str, port: int) -> None:
    """Run the bundled Daraja simulator (SIM_* variables configure it; see the scenario table in docs/simulator.md)."""
    from daraja_simulator.config import SimulatorConfig
    from daraja_simulator.server import run

    configure_logging("WARNING")
    run(host, port, SimulatorConfig.from_env())


@main.command("dev-cert", epilog=_CERT_SETTINGS)
def dev_cert() -> None:
    """Write a self-signed certificate for localhost to SSL_CERTFILE / SSL_KEYFILE when neither exists."""
    settings = load_settings()
    written = ensure_dev_certificate(settings.ssl_certfile, settings.ssl_keyfile, settings.app_host)
    click.echo(f"{'wrote' if written else 'kept'} {settings.ssl_certfile} and {settings.ssl_keyfile}")


@main.command()
@click.option("--subject", required=True, help="the client's stable id: its topic and stored hash")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(["stk", "b2c", "c2b"]))
@click.option("--ttl", default=3600, show_default=True, type=click.IntRange(min=1), help="seconds it stays valid")
@click.option("--max-withdrawal", type=click.IntRange(min=1), help="the largest withdrawal it allows (KES)")
@click.option("--phone", help="the only phone it may push to or withdraw for")
def token(subject: str, scopes: tuple[str, ...], ttl: int, max_withdrawal: int | None, phone: str | None) -> None:
    """Mint a client capability token (a JWT, HS256) with the first of CLIENT_TOKEN_KEYS (what a merchant's backend
    does with its own JWT library)."""
    from datetime import UTC, datetime, timedelta

    from domain.access.capability import Capability, valid_subject
    from domain.access.capability_token import mint_token
    from domain.shared.errors import ValidationError
    from domain.shared.phone import Phone

    keys = load_settings().token_keys()
    if keys is None:
        raise click.ClickException("set CLIENT_TOKEN_KEYS (or CLIENT_TOKEN_KEYS_FILE) to mint tokens")
    if not valid_subject(subject):
        raise click.ClickException("--subject: 1-128 letters, digits or _ . : @ + = -")
    try:
        bound = None if phone is None else Phone.parse(phone)
    except ValidationError as error:
        raise click.ClickException(f"--phone: {error.message}") from None
    expires_at = datetime.now(UTC) + timedelta(seconds=ttl)
    click.echo(mint_token(keys, Capability(subject, frozenset(scopes), expires_at, max_withdrawal, bound)))


@main.group(epilog=_STORE_SETTINGS)
def apikey() -> None:
    """Create, list and revoke the API keys of server-to-server requests (`Authorization: Bearer <key>`)."""


@apikey.command("create", epilog=_STORE_SETTINGS)
@click.option("--name", required=True, help="what the key is for (e.g. the merchant's backend and the year)")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(KEY_SCOPES),
    help="a right beyond the payment and withdrawal routes: `reversal` lets the key reverse payments",
)
def apikey_create(name: str, scopes: tuple[str, ...]) -> None:
    """Issue a key and print it once: only its hash is stored, so keep it now."""
    issued = _with_container(lambda container: container.access.create_api_key()(name, scopes))
    click.echo(issued.text)
    click.echo(f"id {issued.key.key_id} ({issued.key.name}): store the key now; it is never shown again", err=True)


@apikey.command("list", epilog=_STORE_SETTINGS)
def apikey_list() -> None:
    """Every key (never its secret): id, name, created, last used (to the minute), extra scopes, revoked."""
    keys = _with_container(lambda container: container.access.list_api_keys()())
    click.echo("id\tname\tcreated_at\tlast_used_at\tscopes\trevoked_at")
    for key in keys:
        view = {**key.view()}
        view["scopes"] = ",".join(view["scopes"])
        columns = ("id", "name", "created_at", "last_used_at", "scopes", "revoked_at")
        click.echo("\t".join(str(view[column] or "-") for column in columns))


@apikey.command("revoke", epilog=_STORE_SETTINGS)
@click.argument("key_id")
def apikey_revoke(key_id: str) -> None:
    """Revoke a key for good; gateways refuse it within API_KEY_CACHE_SECONDS."""
    key = _with_container(lambda container: container.access.revoke_api_key()(key_id))
    click.echo(f"revoked {key.key_id} ({key.name}) at {key.revoked_at.isoformat() if key.revoked_at else '-'}")


@main.group(epilog=_ALL_SETTINGS)
def balance() -> None:
    """Ask Daraja for the B2C shortcode's account balance, or show the balances last reported."""


@balance.command("check", epilog=_ALL_SETTINGS)
def balance_check() -> None:
    """Send an Account Balance query now. Daraja answers at the gateway's callback URL, so a gateway must be serving
    CALLBACK_BASE_URL for the balances to arrive; `balance show` then shows them."""
    from domain.balances.balance_check import CheckTrigger

    check = _with_container(lambda container: container.balances.check_balance()(CheckTrigger.OPERATOR))
    view = check.view()
    click.echo(f"balance check {view['id']}: {view['status']}")
    if view["result_code"] is not None:
        click.echo(f"Daraja refused it: {view['result_code']} {view['result_desc']}", err=True)
        raise SystemExit(1)


@balance.command("show", epilog=_STORE_SETTINGS)
def balance_show() -> None:
    """The latest balance of every account as stored: account, currency, available, current, reported at."""
    overview = _with_container(lambda container: container.balances.show_balances()()).view()
    click.echo("account\tcurrency\tavailable\tcurrent\treserved\tuncleared\tchecked_at\tlow")
    columns = ("account", "currency", "available", "current", "reserved", "uncleared", "checked_at", "low")
    for account in overview["accounts"]:
        click.echo("\t".join(str(account[column]) for column in columns))
    last = overview["last_check"]
    if last is None:
        click.echo("no balance check yet", err=True)
    else:
        click.echo(f"last check {last['id']} at {last['requested_at']}: {last['status']}", err=True)


@main.group(epilog=_ALL_SETTINGS)
def c2b() -> None:
    """C2B (customers paying the Paybill or Till): register the gateway's URLs with Daraja."""


@c2b.command("register-urls", epilog=_ALL_SETTINGS)
def c2b_register_urls() -> None:
    """Register the validation and confirmation URLs (CALLBACK_BASE_URL, ending in C2B_HOOK_SECRET) for
    C2B_SHORTCODE, and print what Daraja was told as JSON (the secret hidden). In production Daraja takes this once:
    to change the URLs, delete them in the Daraja portal first (docs/c2b.md)."""
    import json

    settings = load_settings()
    if settings.mpesa_env is MpesaEnvironment.SIMULATOR and not settings.daraja_base_url:
        # A simulator started for this command alone would forget the URLs as soon as the command ends.
        raise click.ClickException("with MPESA_ENV=simulator, set DARAJA_BASE_URL to the running simulator's address")
    registered = _with_container(lambda container: container.c2b.register_c2b_urls()())
    click.echo(json.dumps(registered.view(), indent=2))
    if registered.already_registered:
        click.echo(registered.note, err=True)


def _with_container(work: "Callable[[ApplicationContainer], Awaitable[T]]") -> T:
    """Run `work` against the store the gateways use (the embedded one under DATA_DIR when MONGODB_URL is unset),
    migrated first; a domain refusal becomes the command's one-line error."""
    from domain.shared.errors import DomainError
    from entrypoints.bootstrap.containers import ApplicationContainer
    from entrypoints.bootstrap.lifecycle import Lifecycle, local_services

    settings = load_settings()
    configure_logging(settings.log_level, stream=sys.stderr)

    async def run(container: ApplicationContainer) -> T:
        async with Lifecycle(container):
            return await work(container)

    with local_services(settings, simulator=False, join_running=True) as resolved:
        try:
            return asyncio.run(run(ApplicationContainer(settings=resolved)))
        except DomainError as error:
            raise click.ClickException(error.message) from None


@main.command(epilog=_ALL_SETTINGS)
@click.option(
    "--markdown",
    is_flag=True,
    help="Print docs/configuration.md instead: every setting's form, default and meaning (reads no environment).",
)
def config(markdown: bool) -> None:
    """Print the effective configuration: every setting as ENVIRONMENT_VARIABLE=value, secrets shown as ********.

    Values are read and checked as `serve` reads them (a bad value stops it with the same one line); settings
    left unset are marked `# unset` and take the default docs/configuration.md documents."""
    if markdown:
        from entrypoints.settings_doc import render_markdown

        click.echo(render_markdown(), nl=False)
        return
    for line in describe(load_settings()):
        click.echo(line)


@main.group()
def prompts() -> None:
    """The per-phone prompt limit (STK_PROMPTS_PER_PHONE per STK_PROMPT_WINDOW_SECONDS) of a running gateway."""


@prompts.command(
    "reset", epilog=f"Environment: APP_HOST, APP_PORT, TLS, SSL_CERTFILE, MPESA_GATEWAY_API_KEY. {_SEE_CONFIG}"
)
@click.option("--phone", help="the one phone to reset (any Kenyan form); every phone when left out")
@click.option("--url", help="the running gateway's address [default: https://localhost:APP_PORT]")
def prompts_reset(phone: str | None, url: str | None) -> None:
    """Forget the per-phone prompt counts of the running gateway, in simulator mode only: the phone (or every
    phone) may be prompted again at once. Asks the gateway (the counts live in its memory, or in Redis); the dev
    certificate SSL_CERTFILE is trusted, and MPESA_GATEWAY_API_KEY is sent when set."""
    import os

    import httpx

    from entrypoints.http.simulator import PROMPT_COUNTS_RESET_PATH

    settings = load_settings()
    configure_logging(settings.log_level, stream=sys.stderr)
    host = "localhost" if settings.app_host in ("0.0.0.0", "::", "") else settings.app_host
    base = (url or f"{'https' if settings.tls else 'http'}://{host}:{settings.app_port}").rstrip("/")
    verify: ssl.SSLContext | bool = True
    if base.startswith("https:") and settings.ssl_certfile.is_file():
        verify = ssl.create_default_context(cafile=str(settings.ssl_certfile))
    key = os.environ.get("MPESA_GATEWAY_API_KEY")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        response = httpx.post(
            f"{base}{PROMPT_COUNTS_RESET_PATH}", json={"phone": phone}, headers=headers, verify=verify, timeout=10
        )
    except httpx.HTTPError as error:
        raise click.ClickException(
            f"cannot reach the gateway at {base}: {error}; is it running (`make run`)?"
        ) from None
    if response.status_code == 404:
        raise click.ClickException(f"the gateway at {base} has no prompt counts to reset: only MPESA_ENV=simulator has")
    reply = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    if response.status_code != 200 or not reply.get("ok"):
        refusal = reply.get("error") or {}
        raise click.ClickException(
            f"{refusal.get('code', response.status_code)}: {refusal.get('message', response.text)}"
        )
    click.echo(f"prompt counts reset: {reply['data']['phone'] or 'every phone'}")


if __name__ == "__main__":
    sys.exit(main())
