"""How each piece is made from the settings: the plain functions the containers (containers.py) call."""

import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sized
from datetime import timedelta
from decimal import Decimal

import httpx
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from redis.asyncio import Redis

from adapters.broadcast.relayed_backend import RelayedChannelsBackend
from adapters.broadcast.resumable_stream_backend import ResumableRedisStreamBackend
from adapters.daraja.b2c_client import DarajaB2cClient
from adapters.daraja.b2c_settings import B2cSettings
from adapters.daraja.balance_client import BalanceSettings
from adapters.daraja.c2b_settings import C2bSettings
from adapters.daraja.daraja_health import DarajaHealth
from adapters.daraja.reversal_client import ReversalSettings
from adapters.daraja.security_credential import bundled_certificate, security_credential
from adapters.daraja.settings import DarajaSettings
from adapters.daraja.stk_client import DarajaStkClient
from adapters.mongo.command_counter import StoreCommandCounter
from adapters.redis.client import READ_BLOCK_SECONDS
from adapters.redis.health import RedisHealth
from adapters.redis.outage import RedisOutage
from adapters.redis.rate_limiter import RedisRateLimiter
from adapters.system.clock import SystemClock
from adapters.system.memory_rate_limiter import MemoryRateLimiter
from domain.b2c.ports import PayoutProvider
from domain.c2b.hook_urls import C2bHookUrls
from domain.c2b.provider import PullRegistration
from domain.c2b.use_cases.draw_request_qr import QrShop
from domain.shared.ports import RateLimiter, StoreHealth
from domain.stk.prompt_limits import PromptLimits
from domain.stk.success_confirmation import ConfirmStkSuccess
from domain.webhooks.retry import RetrySchedule
from entrypoints.http.callback_sources import CallbackSources
from entrypoints.http.readiness import ReadinessChecks
from entrypoints.metrics import GatewayMetrics
from entrypoints.settings import (
    B2C_RESULT_PATH,
    B2C_STATUS_PATH,
    B2C_STATUS_TIMEOUT_PATH,
    B2C_TIMEOUT_PATH,
    BALANCE_RESULT_PATH,
    BALANCE_TIMEOUT_PATH,
    C2B_CONFIRMATION_PATH,
    C2B_VALIDATION_PATH,
    REVERSAL_RESULT_PATH,
    REVERSAL_STATUS_PATH,
    REVERSAL_STATUS_TIMEOUT_PATH,
    REVERSAL_TIMEOUT_PATH,
    STK_CALLBACK_PATH,
    ClientAuth,
    MpesaEnvironment,
    Settings,
)
from entrypoints.ws.authorisation import ClientAuthorisation
from entrypoints.ws.socket_guard import SocketGuard


def daraja_settings(settings: Settings) -> DarajaSettings:
    return DarajaSettings(
        base_url=settings.resolved_daraja_base_url(),
        consumer_key=settings.consumer_key(),
        consumer_secret=settings.consumer_secret(),
        shortcode=settings.shortcode(),
        passkey=settings.passkey(),
        transaction_type=settings.daraja_transaction_type,
        callback_base_url=settings.public_base_url + STK_CALLBACK_PATH,
        party_b=settings.daraja_party_b,
    )


def b2c_settings(settings: Settings) -> B2cSettings:
    return B2cSettings(
        base_url=settings.resolved_daraja_base_url(),
        shortcode=settings.b2c_shortcode,
        initiator_name=settings.b2c_initiator_name,
        result_base_url=settings.public_base_url + B2C_RESULT_PATH,
        timeout_base_url=settings.public_base_url + B2C_TIMEOUT_PATH,
        status_result_base_url=settings.public_base_url + B2C_STATUS_PATH,
        status_timeout_base_url=settings.public_base_url + B2C_STATUS_TIMEOUT_PATH,
        command_id=settings.b2c_command_id,
    )


def balance_settings(settings: Settings) -> BalanceSettings:
    return BalanceSettings(
        base_url=settings.resolved_daraja_base_url(),
        shortcode=settings.b2c_shortcode,
        initiator_name=settings.b2c_initiator_name,
        result_base_url=settings.public_base_url + BALANCE_RESULT_PATH,
        timeout_base_url=settings.public_base_url + BALANCE_TIMEOUT_PATH,
    )


def reversal_settings(settings: Settings) -> ReversalSettings:
    # The shortcode the customers paid (the till, for Buy Goods), asked as the B2C initiator, who needs Daraja's
    # Org Reversals Initiator role too (docs/reversals.md).
    return ReversalSettings(
        base_url=settings.resolved_daraja_base_url(),
        receiver_party=settings.daraja_party_b or settings.shortcode(),
        initiator_name=settings.b2c_initiator_name,
        result_base_url=settings.public_base_url + REVERSAL_RESULT_PATH,
        timeout_base_url=settings.public_base_url + REVERSAL_TIMEOUT_PATH,
        status_result_base_url=settings.public_base_url + REVERSAL_STATUS_PATH,
        status_timeout_base_url=settings.public_base_url + REVERSAL_STATUS_TIMEOUT_PATH,
    )


def handled(step: Callable[[], Awaitable[object | None]]) -> Callable[[], Awaitable[int]]:
    """A step answering what it handled or None, as a PollingLoop step answering how much."""

    async def count() -> int:
        return 0 if await step() is None else 1

    return count


def c2b_settings(settings: Settings) -> C2bSettings:
    return C2bSettings(base_url=settings.resolved_daraja_base_url())


def c2b_hook_urls(settings: Settings) -> C2bHookUrls | None:
    """The URLs the C2B hooks are served at; none while C2B_HOOK_SECRET is unset (the hooks then answer 404)."""
    if settings.c2b_hook_secret is None:
        return None
    base = settings.public_base_url
    return C2bHookUrls(
        base + C2B_VALIDATION_PATH, base + C2B_CONFIRMATION_PATH, settings.c2b_hook_secret.get_secret_value()
    )


def qr_shop(settings: Settings) -> QrShop:
    return QrShop(settings.c2b_merchant_name, settings.registered_c2b_shortcode())


def pull_registration(settings: Settings) -> PullRegistration:
    """Pull's registration of the C2B shortcode. Its CallBackURL is the confirmation hook: Daraja documents nothing
    it posts there, and a body that is no confirmation is refused by that hook and changes nothing."""
    urls = c2b_hook_urls(settings)
    return PullRegistration(
        settings.registered_c2b_shortcode(),
        settings.c2b_pull_nominated_number or "",
        urls.confirmation_url if urls is not None else "",
    )


def counted(step: Callable[[], Awaitable[Sized]]) -> Callable[[], Awaitable[int]]:
    """A step answering what it did, as a PollingLoop step answering how much."""

    async def count() -> int:
        return len(await step())

    return count


def low_balance_threshold(settings: Settings) -> Decimal | None:
    return Decimal(settings.balance_low_threshold) if settings.balance_low_threshold > 0 else None


def initiator_credential(settings: Settings) -> str:
    """Computed once at start-up: the initiator password encrypted with the environment's certificate."""
    if settings.daraja_certificate_file is not None:
        certificate = settings.daraja_certificate_file.read_bytes()
    elif settings.mpesa_env is MpesaEnvironment.SIMULATOR:
        # The simulator makes its own key pair; it hands out the matching certificate for exactly this.
        response = httpx.get(f"{settings.resolved_daraja_base_url()}/simulator/certificate", timeout=10)
        response.raise_for_status()
        certificate = response.content
    else:
        certificate = bundled_certificate(settings.mpesa_env.value)  # type: ignore[arg-type]
    return security_credential(settings.initiator_password(), certificate)


def operator_token_of(settings: Settings) -> str | None:
    return None if settings.operator_token is None else settings.operator_token.get_secret_value()


def client_authorisation_of(settings: Settings, clock: SystemClock, metrics: GatewayMetrics) -> ClientAuthorisation:
    return ClientAuthorisation(
        signed=settings.client_auth_mode() is ClientAuth.SIGNED,
        keys=settings.token_keys(),
        open_withdrawals=settings.open_withdrawals,
        clock=clock,
        on_v1_token=metrics.v1_token_admitted,
    )


def callback_source_policy(settings: Settings) -> CallbackSources:
    return CallbackSources(
        settings.effective_callback_source_check,
        settings.callback_allowed_networks.split(","),
        settings.trusted_proxies.split(","),
    )


# How stale the worker's balance hint may be (adapters.recent_funds): it only decides a log line and a counter.
RECENT_FUNDS_SECONDS = 30


def seconds(amount: float) -> timedelta:
    return timedelta(seconds=amount)


def prompt_limits(settings: Settings) -> PromptLimits:
    return PromptLimits(
        per_phone=settings.stk_prompts_per_phone,
        window=seconds(settings.stk_prompt_window_seconds),
        one_pending=settings.stk_one_pending_per_phone,
        pending_lifetime=seconds(settings.stk_prompt_lifetime_seconds),
    )


def stk_success_confirmation(settings: Settings, provider: DarajaStkClient) -> ConfirmStkSuccess | None:
    return ConfirmStkSuccess(provider) if settings.confirms_success_callbacks else None


def b2c_success_confirmation(settings: Settings, provider: DarajaB2cClient) -> PayoutProvider | None:
    return provider if settings.confirms_success_callbacks else None


def socket_guard(settings: Settings, counter: RateLimiter, clock: SystemClock) -> SocketGuard:
    return SocketGuard(
        max_sockets=settings.ws_max_sockets,
        max_per_topic=settings.ws_max_sockets_per_hash,
        max_per_address=settings.ws_max_sockets_per_address,
        messages_per_topic=settings.ws_messages_per_hash,
        messages_per_address=settings.ws_messages_per_address,
        window_seconds=settings.ws_message_window_seconds,
        counter=counter,
        clock=clock,
    )


def channels_backend(settings: Settings, redis: Redis | None, outage: RedisOutage, instance: str) -> ChannelsBackend:
    """In memory for one instance; with Redis, local delivery plus a relay to the other instances."""
    if redis is None:
        return MemoryChannelsBackend()
    relay = ResumableRedisStreamBackend(
        settings.redis_stream_history,
        redis=redis,
        key_prefix=f"{settings.redis_key_prefix}:channels",
        stream_ttl=seconds(settings.redis_stream_ttl_seconds),
        block_seconds=READ_BLOCK_SECONDS,
    )
    return RelayedChannelsBackend(relay, instance, outage)


def prompt_counter(settings: Settings, redis: Redis | None, outage: RedisOutage) -> RateLimiter:
    """Prompts per phone: shared through Redis when there is one; without it, each instance counts its own prompts
    (several instances without Redis then allow STK_PROMPTS_PER_PHONE each). The one-open-prompt lock stays in the
    store, so it holds across instances either way."""
    if redis is None:
        return MemoryRateLimiter()
    return RedisRateLimiter(redis, settings.redis_key_prefix, MemoryRateLimiter(), outage)


def message_counter(settings: Settings, redis: Redis | None, outage: RedisOutage) -> RateLimiter:
    """Socket message limits: shared through Redis when there is one, counted in this process while it is away."""
    if redis is None:
        return MemoryRateLimiter()
    return RedisRateLimiter(redis, settings.redis_key_prefix, MemoryRateLimiter(), outage)


def readiness(store: StoreHealth, daraja: DarajaHealth, redis: Redis | None) -> ReadinessChecks:
    checks = {"store": store.check, "daraja": daraja.check}
    if redis is None:
        return ReadinessChecks(checks)
    # Without Redis the instance still takes payments and tells its own clients: reported, not unready.
    return ReadinessChecks({**checks, "redis": RedisHealth(redis).check}, degrading=frozenset({"redis"}))


def store_command_counter_of(settings: Settings) -> StoreCommandCounter | None:
    return StoreCommandCounter() if settings.store_command_metrics else None


def listeners_of(counter: StoreCommandCounter | None) -> list[StoreCommandCounter]:
    return [] if counter is None else [counter]


def worker_identity() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def reconciled_stk_counter(metrics: GatewayMetrics) -> Callable[[], None]:
    return lambda: metrics.settled_by_reconciliation("stk")


def webhook_schedule(settings: Settings) -> RetrySchedule:
    return RetrySchedule(
        base=seconds(settings.webhook_retry_base_seconds),
        maximum=seconds(settings.webhook_retry_max_seconds),
        give_up_after=timedelta(hours=settings.webhook_retry_hours),
    )


def webhook_timeout(settings: Settings) -> httpx.Timeout:
    # A receiver that does not answer within the time-out is a failed attempt, retried on the schedule.
    return httpx.Timeout(settings.webhook_timeout_seconds, connect=min(5.0, settings.webhook_timeout_seconds))


def webhook_limits(settings: Settings) -> httpx.Limits:
    return httpx.Limits(max_connections=settings.webhook_concurrency, max_keepalive_connections=4)


def daraja_timeout(settings: Settings) -> httpx.Timeout:
    # Connect fails fast (nothing sent yet, safe to call failed); read waits long (the push may be on the phone).
    return httpx.Timeout(settings.daraja_timeout, connect=5.0)
