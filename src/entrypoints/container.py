"""The composition root: the only place that names concrete adapters. Reads like a bill of materials."""

import functools
import os
import random
import socket
import uuid
from collections.abc import Awaitable, Callable, Sized
from datetime import timedelta
from decimal import Decimal

import httpx
from dependency_injector import containers, providers
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from adapters.broadcast.channels_broadcaster import ChannelsBroadcaster
from adapters.broadcast.on_demand_subscriber import OnDemandSubscriber
from adapters.broadcast.relayed_backend import RelayedChannelsBackend
from adapters.broadcast.resumable_stream_backend import ResumableRedisStreamBackend
from adapters.broadcast.waking_broadcaster import WakingBroadcaster
from adapters.daraja.b2c_client import DarajaB2cClient
from adapters.daraja.b2c_settings import B2cSettings
from adapters.daraja.balance_client import BalanceSettings, DarajaBalanceClient
from adapters.daraja.c2b_client import DarajaC2bClient
from adapters.daraja.c2b_settings import C2bSettings
from adapters.daraja.call_metrics import DarajaCallMetrics
from adapters.daraja.circuit_breaker import DarajaCircuitBreaker
from adapters.daraja.daraja_health import DarajaHealth
from adapters.daraja.retry_policy import RetryPolicy
from adapters.daraja.reversal_client import DarajaReversalClient, ReversalSettings
from adapters.daraja.security_credential import bundled_certificate, security_credential
from adapters.daraja.settings import DarajaSettings
from adapters.daraja.simulated_customer import SimulatedCustomer
from adapters.daraja.stk_client import DarajaStkClient
from adapters.daraja.token_auth import DarajaTokenAuth
from adapters.mongo.anomaly_log import MongoAnomalyLog
from adapters.mongo.api_key_store import MongoApiKeys
from adapters.mongo.balances import MongoAccountStates, MongoBalanceChecks
from adapters.mongo.c2b_payment_repository import MongoC2bPayments
from adapters.mongo.c2b_request_repository import MongoPaymentRequests
from adapters.mongo.callback_journal import MongoCallbackJournal
from adapters.mongo.client import create_mongo_client, gateway_database
from adapters.mongo.command_counter import StoreCommandCounter
from adapters.mongo.daily_allowance import MongoDailyAllowance
from adapters.mongo.event_log import MongoEventLog
from adapters.mongo.event_outbox import MongoEventOutbox
from adapters.mongo.idempotency_keys import MongoIdempotencyKeys
from adapters.mongo.leases import MongoLeases
from adapters.mongo.payment_repository import MongoPaymentRepository
from adapters.mongo.record_counts import MongoRecordCounts
from adapters.mongo.record_search import MongoRecordSearch
from adapters.mongo.reversal_repository import MongoReversals
from adapters.mongo.reversible_payments import MongoReversiblePayments
from adapters.mongo.store_health import MongoStoreHealth
from adapters.mongo.stuck_records import MongoStuckRecords
from adapters.mongo.webhook_deliveries import MongoWebhookDeliveries
from adapters.mongo.webhook_endpoints import MongoWebhookEndpoints
from adapters.mongo.withdrawal_repository import MongoWithdrawalRepository
from adapters.recent_funds import RecentFunds
from adapters.redis.client import READ_BLOCK_SECONDS, create_redis_client
from adapters.redis.health import RedisHealth
from adapters.redis.outage import RedisOutage
from adapters.redis.rate_limiter import RedisRateLimiter
from adapters.renewing_leases import RenewingLeases
from adapters.system.clock import SystemClock
from adapters.system.identifiers import RandomIdentifiers
from adapters.system.key_material import RandomKeyMaterial
from adapters.system.memory_rate_limiter import MemoryRateLimiter
from adapters.webhooks.guarded_network import GuardedTransport
from adapters.webhooks.httpx_sender import HttpxWebhookSender
from domain.balances.use_cases.check_balance import CheckBalance
from domain.balances.use_cases.check_when_due import CheckBalanceWhenDue
from domain.balances.use_cases.handle_balance_result import HandleBalanceResult
from domain.balances.use_cases.show_balances import ShowBalances
from domain.c2b.hook_urls import C2bHookUrls
from domain.c2b.provider import PullRegistration
from domain.c2b.use_cases.catch_up_open_requests import CatchUpOpenRequests
from domain.c2b.use_cases.confirm_payment import ConfirmPayment
from domain.c2b.use_cases.create_payment_request import CreatePaymentRequest
from domain.c2b.use_cases.draw_request_qr import DrawRequestQr, QrShop
from domain.c2b.use_cases.expire_payment_requests import ExpirePaymentRequests
from domain.c2b.use_cases.find_payments import FindC2bPayments
from domain.c2b.use_cases.pull_missed_payments import PullMissedPayments
from domain.c2b.use_cases.register_urls import RegisterUrls
from domain.c2b.use_cases.validate_payment import ValidatePayment
from domain.event_types import REVERSAL
from domain.ports import PayoutProvider, RateLimiter, StoreHealth
from domain.ports.stuck_records import RecordKind
from domain.prompt_limits import PromptGate, PromptLimits
from domain.reversals.use_cases.handle_reversal_result import HandleReversalResult
from domain.reversals.use_cases.handle_reversal_status import HandleReversalStatusResult
from domain.reversals.use_cases.mark_c2b_payment_reversed import MarkC2bPaymentReversed
from domain.reversals.use_cases.mark_payment_reversed import MarkPaymentReversed
from domain.reversals.use_cases.reconcile_reversals import ReconcileReversals
from domain.reversals.use_cases.request_reversal import RequestReversal
from domain.reversals.use_cases.show_reversal import ShowReversal
from domain.reversals.use_cases.submit_reversal import SubmitNextReversal
from domain.success_confirmation import ConfirmStkSuccess
from domain.use_cases.apply_webhook_configuration import ApplyWebhookConfiguration
from domain.use_cases.authenticate_api_key import AuthenticateApiKey
from domain.use_cases.callback_token_known import CallbackTokenKnown, OpenStatusQueries
from domain.use_cases.catch_up import CatchUp
from domain.use_cases.create_api_key import CreateApiKey
from domain.use_cases.deliver_webhooks import DeliverWebhooks
from domain.use_cases.enable_webhook import EnableWebhook
from domain.use_cases.find_record import FindRecord
from domain.use_cases.handle_b2c_result import HandleB2cResult
from domain.use_cases.handle_stk_callback import HandleStkCallback
from domain.use_cases.handle_transaction_status_result import HandleTransactionStatusResult
from domain.use_cases.journal_callback import DigestBudget, JournalCallback
from domain.use_cases.list_anomalies import ListAnomalies
from domain.use_cases.list_api_keys import ListApiKeys
from domain.use_cases.list_deliveries import ListDeliveries
from domain.use_cases.list_records import ListRecords
from domain.use_cases.list_stuck_records import ListStuckRecords
from domain.use_cases.payment_status import PaymentStatusQuery
from domain.use_cases.push_payment import PushPayment
from domain.use_cases.read_event_feed import ReadEventFeed
from domain.use_cases.reconcile_stk_payments import ReconcileStkPayments
from domain.use_cases.reconcile_withdrawals import ReconcileWithdrawals
from domain.use_cases.register_webhook import RegisterWebhook
from domain.use_cases.relay_events import RELAY_BATCH, RELAY_GATHER_SECONDS, RelayEvents
from domain.use_cases.remove_webhook import RemoveWebhook
from domain.use_cases.replay_events import ReplayEvents
from domain.use_cases.request_withdrawal import RequestWithdrawal
from domain.use_cases.revoke_api_key import RevokeApiKey
from domain.use_cases.submit_withdrawal import SubmitNextWithdrawal
from domain.use_cases.webhook_details import WebhookDetails
from domain.webhook_retry import RetrySchedule
from entrypoints.due_loop import DueLoop
from entrypoints.http.api_key_guard import ServerCredentials
from entrypoints.http.c2b_hooks import C2bHookSecret
from entrypoints.http.callback_sources import CallbackSources
from entrypoints.http.readiness import ReadinessChecks
from entrypoints.idle_pause import IdlePause
from entrypoints.metrics import GatewayMetrics
from entrypoints.polling_loop import PollingLoop
from entrypoints.reconciler import ReconciliationLoop
from entrypoints.relay_wake_up import RelayWakeUp
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
from entrypoints.worker import WithdrawalWorker
from entrypoints.ws.authorisation import ClientAuthorisation
from entrypoints.ws.drain import SocketDrain
from entrypoints.ws.socket_guard import SocketGuard
from entrypoints.ws.socket_limits import SocketLimits
from entrypoints.ws.socket_use_cases import SocketUseCases
from entrypoints.ws.store_resync import StoreResync


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
        max_per_hash=settings.ws_max_sockets_per_hash,
        max_per_address=settings.ws_max_sockets_per_address,
        messages_per_hash=settings.ws_messages_per_hash,
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


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    # Infrastructure: one of each per process, closed by the app's lifespan.
    # Counted only when STORE_COMMAND_METRICS is on: a listener makes the driver build an event per command.
    store_command_counter = providers.Singleton(store_command_counter_of, settings)
    mongo_client = providers.Singleton(
        create_mongo_client,
        settings.provided.mongodb_url,
        settings.provided.mongodb_timeout_seconds,
        providers.Callable(listeners_of, store_command_counter),
    )
    mongo_database = providers.Singleton(gateway_database, mongo_client, settings.provided.mongodb_database)
    http_client = providers.Singleton(
        httpx.AsyncClient,
        timeout=providers.Callable(daraja_timeout, settings),
        # A few keep-alive connections serve the one Daraja host; httpcore polls every idle one on each request.
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=8),
    )
    # Several instances share Redis (unset: none, and everything stays in this process).
    redis_client = providers.Singleton(
        create_redis_client, settings.provided.redis_url, settings.provided.redis_timeout_seconds
    )
    # Once Redis is back, every socket here re-reads its catch-up from the store (relayed updates may have been lost).
    store_resync = providers.Singleton(StoreResync)
    redis_outage = providers.Singleton(RedisOutage, on_recovery=store_resync.provided.catch_up_all)
    # One name per process: its B2C claims, event relay and webhook leases, and its Redis messages carry it.
    instance_id = providers.Singleton(worker_identity)
    channels = providers.Singleton(
        ChannelsPlugin,
        backend=providers.Singleton(channels_backend, settings, redis_client, redis_outage, instance_id),
        arbitrary_channels_allowed=True,
        # An idle socket holds no queue and runs no task: the sockets held per process depend on it.
        subscriber_class=OnDemandSubscriber,
    )
    clock = providers.Singleton(SystemClock)
    identifiers = providers.Singleton(RandomIdentifiers)
    # Metrics: one registry per process (never prometheus_client's global one), served at /metrics.
    metrics_registry = providers.Singleton(CollectorRegistry)
    record_counts = providers.Singleton(MongoRecordCounts, mongo_database)
    webhook_endpoints = providers.Singleton(MongoWebhookEndpoints, mongo_database)
    # The latest balance of each account: shown in /metrics and the read API, consulted before each payout.
    account_states = providers.Singleton(MongoAccountStates, mongo_database)
    gateway_metrics = providers.Singleton(
        GatewayMetrics, metrics_registry, record_counts, webhook_endpoints, store_command_counter, account_states
    )
    daraja_metrics = providers.Singleton(DarajaCallMetrics, metrics_registry)
    client_authorisation = providers.Singleton(client_authorisation_of, settings, clock, gateway_metrics)
    socket_limits = providers.Singleton(
        SocketLimits,
        idle_timeout=settings.provided.ws_idle_timeout,
        drain=providers.Singleton(SocketDrain),
        resync=store_resync,
        metrics=gateway_metrics,
        guard=providers.Singleton(
            socket_guard,
            settings,
            providers.Singleton(message_counter, settings, redis_client, redis_outage),
            clock,
        ),
    )

    # Adapters behind the domain's ports.
    daraja = providers.Singleton(daraja_settings, settings)
    # One breaker for every Daraja call of the process: when Daraja is in trouble, all callers learn it at once.
    daraja_breaker = providers.Singleton(
        DarajaCircuitBreaker,
        failure_threshold=settings.provided.daraja_breaker_failures,
        reset_seconds=settings.provided.daraja_breaker_reset_seconds,
    )
    # Only OAuth and queries are retried: repeating them is harmless, repeating a payment is not.
    query_retry = providers.Singleton(RetryPolicy, attempts=settings.provided.daraja_query_attempts)
    daraja_auth = providers.Singleton(
        DarajaTokenAuth,
        http_client,
        daraja.provided.base_url,
        daraja.provided.consumer_key,
        daraja.provided.consumer_secret,
        retry=query_retry,
    )
    payment_provider = providers.Singleton(
        DarajaStkClient,
        http_client,
        daraja_auth,
        daraja,
        clock,
        breaker=daraja_breaker,
        query_retry=query_retry,
        metrics=daraja_metrics,
    )
    payments = providers.Singleton(MongoPaymentRepository, mongo_database)
    withdrawals = providers.Singleton(MongoWithdrawalRepository, mongo_database)
    idempotency_keys = providers.Singleton(MongoIdempotencyKeys, mongo_database)
    # Counted in Redis when there is one, else in this process: a store command per push saved (docs/store-shape.md).
    rate_limiter = providers.Singleton(prompt_counter, settings, redis_client, redis_outage)
    prompt_gate = providers.Singleton(PromptGate, rate_limiter, providers.Callable(prompt_limits, settings))
    daily_allowance = providers.Singleton(MongoDailyAllowance, mongo_database)
    # The event relay's and webhook deliverer's waits between looks: every stored state change is published, and
    # wakes the relay (its events wait in the outbox); the relay wakes the deliverer when it numbered events.
    event_relay_pause = providers.Singleton(
        IdlePause, settings.provided.webhook_poll_seconds, settings.provided.idle_poll_max_seconds
    )
    webhook_pause = providers.Singleton(
        IdlePause, settings.provided.webhook_poll_seconds, settings.provided.idle_poll_max_seconds
    )
    # The event feed's store side; the relay numbers the records' state changes into it.
    events = providers.Singleton(MongoEventLog, mongo_database)
    event_outbox = providers.Singleton(MongoEventOutbox, mongo_database)
    # A held lease is renewed at a third of its life, not on every step of its holder (adapters.renewing_leases).
    leases = providers.Singleton(RenewingLeases, providers.Singleton(MongoLeases, mongo_database))
    relay_events = providers.Singleton(
        RelayEvents,
        event_outbox,
        events,
        leases,
        clock,
        instance_id,
        settings.provided.worker_lease_seconds,
        full_look_every=providers.Callable(seconds, settings.provided.idle_poll_max_seconds),
    )
    relay_wake_up = providers.Singleton(RelayWakeUp, relay_events, event_relay_pause)
    broadcaster = providers.Singleton(
        WakingBroadcaster,
        providers.Singleton(ChannelsBroadcaster, channels),
        relay_wake_up,
    )
    callback_journal = providers.Singleton(MongoCallbackJournal, mongo_database)
    callback_sources = providers.Singleton(callback_source_policy, settings)
    anomaly_log = providers.Singleton(MongoAnomalyLog, mongo_database)
    stuck_records = providers.Singleton(MongoStuckRecords, mongo_database)
    security_credential = providers.Singleton(initiator_credential, settings)
    payout_provider = providers.Singleton(
        DarajaB2cClient,
        http_client,
        daraja_auth,
        providers.Singleton(b2c_settings, settings),
        security_credential,
        breaker=daraja_breaker,
        query_retry=query_retry,
        metrics=daraja_metrics,
    )

    # C2B payments and requests' stores, here because a reversal may refund a C2B payment.
    payment_requests = providers.Singleton(MongoPaymentRequests, mongo_database)
    c2b_payments = providers.Singleton(MongoC2bPayments, mongo_database)
    # Reversals' store and Daraja client, here because the reconciler below asks about them too.
    reversals = providers.Singleton(
        MongoReversals,
        mongo_database,
        providers.Callable(functools.partial, relay_wake_up.provided.written, frozenset({REVERSAL})),
    )
    reversible_payments = providers.Singleton(MongoReversiblePayments, mongo_database)
    reversal_provider = providers.Singleton(
        DarajaReversalClient,
        http_client,
        daraja_auth,
        providers.Singleton(reversal_settings, settings),
        security_credential,
        breaker=daraja_breaker,
        query_retry=query_retry,
        metrics=daraja_metrics,
    )

    # Server credentials: API keys (hashed in the store); verified keys are cached briefly in each process.
    api_keys = providers.Singleton(MongoApiKeys, mongo_database)
    authenticate_api_key = providers.Singleton(
        AuthenticateApiKey, api_keys, clock, providers.Callable(seconds, settings.provided.api_key_cache_seconds)
    )
    server_credentials = providers.Singleton(
        ServerCredentials, authenticate_api_key, keys_optional=settings.provided.api_keys_optional
    )
    create_api_key = providers.Factory(CreateApiKey, api_keys, providers.Singleton(RandomKeyMaterial), clock)
    list_api_keys = providers.Factory(ListApiKeys, api_keys)
    revoke_api_key = providers.Factory(RevokeApiKey, api_keys, clock)

    # The read API: payments and withdrawals as stored.
    stk_records = providers.Singleton(MongoRecordSearch, mongo_database, RecordKind.STK)
    b2c_records = providers.Singleton(MongoRecordSearch, mongo_database, RecordKind.B2C)
    find_record = providers.Factory(FindRecord, providers.List(stk_records, b2c_records))
    list_records = providers.Factory(
        ListRecords, providers.Dict({RecordKind.STK: stk_records, RecordKind.B2C: b2c_records})
    )

    # Readiness: one named check per dependency /ready reports on.
    store_health = providers.Singleton(MongoStoreHealth, mongo_client, settings.provided.mongodb_timeout_seconds)
    # Daraja is asked for an OAuth token at most every few seconds, whatever the probe rate.
    daraja_health = providers.Singleton(
        DarajaHealth,
        http_client,
        daraja.provided.base_url,
        daraja.provided.consumer_key,
        daraja.provided.consumer_secret,
    )
    readiness_checks = providers.Singleton(readiness, store_health, daraja_health, redis_client)

    # Use-cases: stateless, built per request or per socket.
    push_payment = providers.Factory(
        PushPayment,
        payments,
        payment_provider,
        broadcaster,
        clock,
        identifiers,
        idempotency_keys,
        settings.provided.stk_max_amount,
        providers.Callable(seconds, settings.provided.stk_first_check_seconds),
        gate=prompt_gate,
    )
    payment_status = providers.Factory(PaymentStatusQuery, payments)
    handle_stk_callback = providers.Factory(
        HandleStkCallback,
        payments,
        broadcaster,
        clock,
        anomaly_log,
        confirm=providers.Callable(stk_success_confirmation, settings, payment_provider),
        recheck_after=providers.Callable(seconds, settings.provided.stk_first_check_seconds),
    )
    # One digest budget per process: see DIGESTS_PER_MINUTE.
    journal_callback = providers.Factory(JournalCallback, callback_journal, clock, providers.Singleton(DigestBudget))
    # Which records each callback URL's token may name (the status URLs: the withdrawal's own, for now).
    stk_callback_token_known = providers.Singleton(CallbackTokenKnown, payments)
    b2c_callback_token_known = providers.Singleton(CallbackTokenKnown, withdrawals)
    status_callback_token_known = providers.Singleton(
        CallbackTokenKnown, providers.Singleton(OpenStatusQueries, withdrawals)
    )
    list_anomalies = providers.Factory(ListAnomalies, anomaly_log)
    list_stuck_records = providers.Factory(
        ListStuckRecords,
        stuck_records,
        clock,
        providers.Callable(seconds, settings.provided.stk_outcome_unknown_after_seconds),
    )
    operator_token = providers.Callable(operator_token_of, settings)
    submit_withdrawal = providers.Factory(
        SubmitNextWithdrawal,
        withdrawals,
        payout_provider,
        daily_allowance,
        broadcaster,
        clock,
        instance_id,
        settings.provided.worker_lease_seconds,
        providers.Callable(seconds, settings.provided.b2c_first_check_seconds),
        funds=providers.Singleton(RecentFunds, account_states, clock, timedelta(seconds=RECENT_FUNDS_SECONDS)),
        on_uncovered=gateway_metrics.provided.withdrawal_uncovered,
    )
    handle_b2c_result = providers.Factory(
        HandleB2cResult,
        withdrawals,
        daily_allowance,
        broadcaster,
        clock,
        anomaly_log,
        confirm=providers.Callable(b2c_success_confirmation, settings, payout_provider),
        identifiers=identifiers,
        recheck_after=providers.Callable(seconds, settings.provided.b2c_first_check_seconds),
    )
    handle_transaction_status_result = providers.Factory(
        HandleTransactionStatusResult, withdrawals, daily_allowance, broadcaster, clock, anomaly_log
    )
    stk_catch_up = providers.Factory(
        CatchUp,
        payments,
        clock,
        providers.Callable(seconds, settings.provided.catch_up_window_seconds),
        settings.provided.catch_up_limit,
        providers.Callable(seconds, settings.provided.stk_outcome_unknown_after_seconds),
        max_updates=settings.provided.catch_up_max_updates,
        writes_land_within=providers.Callable(seconds, settings.provided.catch_up_settle_seconds),
    )
    b2c_catch_up = providers.Factory(
        CatchUp,
        withdrawals,
        clock,
        providers.Callable(seconds, settings.provided.catch_up_window_seconds),
        settings.provided.catch_up_limit,
        max_updates=settings.provided.catch_up_max_updates,
        writes_land_within=providers.Callable(seconds, settings.provided.catch_up_settle_seconds),
    )

    # Reconciliation: payments and withdrawals whose outcome is overdue are asked about, never re-sent.
    reconcile_random = providers.Singleton(random.Random)
    reconcile_stk_payments = providers.Factory(
        ReconcileStkPayments,
        payments,
        payment_provider,
        broadcaster,
        clock,
        reconcile_random,
        initial_delay_seconds=settings.provided.stk_first_check_seconds,
        max_delay_seconds=settings.provided.reconcile_max_delay_seconds,
        on_settled=providers.Callable(reconciled_stk_counter, gateway_metrics),
        anomalies=anomaly_log,
    )
    reconcile_withdrawals = providers.Factory(
        ReconcileWithdrawals,
        withdrawals,
        payout_provider,
        clock,
        reconcile_random,
        identifiers,
        initial_delay_seconds=settings.provided.b2c_first_check_seconds,
        max_delay_seconds=settings.provided.reconcile_max_delay_seconds,
    )
    reconcile_reversals = providers.Factory(
        ReconcileReversals,
        reversals,
        reversal_provider,
        clock,
        reconcile_random,
        identifiers,
        initial_delay_seconds=settings.provided.reversal_first_check_seconds,
        max_delay_seconds=settings.provided.reconcile_max_delay_seconds,
    )
    reconciliation = providers.Singleton(
        ReconciliationLoop,
        providers.List(reconcile_stk_payments, reconcile_withdrawals, reconcile_reversals),
        settings.provided.reconcile_poll_seconds,
        metrics=gateway_metrics,
        kinds=["stk", "b2c", "reversal"],
        max_idle_seconds=settings.provided.idle_poll_max_seconds,
    )

    # The B2C worker: one per process; a queued withdrawal wakes it at once.
    worker = providers.Singleton(
        WithdrawalWorker,
        submit_withdrawal,
        settings.provided.worker_poll_seconds,
        metrics=gateway_metrics,
        max_idle_seconds=settings.provided.idle_poll_max_seconds,
    )
    request_withdrawal = providers.Factory(
        RequestWithdrawal,
        withdrawals,
        daily_allowance,
        broadcaster,
        clock,
        identifiers,
        idempotency_keys,
        settings.provided.b2c_min_amount,
        settings.provided.b2c_max_amount,
        settings.provided.b2c_daily_limit,
        on_queued=worker.provided.wake,
    )

    # Events and webhooks: the relay numbers the records' state changes into the feed; the deliverer POSTs them.
    webhook_deliveries = providers.Singleton(MongoWebhookDeliveries, mongo_database)
    # Its own client: merchants' receivers get short time-outs and never share Daraja's connection pool, and every
    # connection goes only to an address the destination policy allows (SECURITY.md: webhook destinations).
    webhook_destinations = settings.provided.webhook_destinations.call()
    webhook_http_client = providers.Singleton(
        httpx.AsyncClient,
        timeout=providers.Callable(webhook_timeout, settings),
        follow_redirects=False,
        transport=providers.Singleton(
            GuardedTransport, webhook_destinations, providers.Callable(webhook_limits, settings)
        ),
    )
    webhook_sender = providers.Singleton(HttpxWebhookSender, webhook_http_client, clock)
    read_event_feed = providers.Factory(ReadEventFeed, events)
    register_webhook = providers.Factory(
        RegisterWebhook,
        webhook_endpoints,
        events,
        identifiers,
        clock,
        settings.provided.webhooks_allow_http.call(),
        webhook_destinations,
    )
    webhook_details = providers.Factory(WebhookDetails, webhook_endpoints)
    remove_webhook = providers.Factory(RemoveWebhook, webhook_endpoints)
    enable_webhook = providers.Factory(EnableWebhook, webhook_endpoints)
    replay_events = providers.Factory(ReplayEvents, webhook_endpoints, events, identifiers, clock)
    list_deliveries = providers.Factory(ListDeliveries, webhook_endpoints, webhook_deliveries)
    apply_webhook_configuration = providers.Factory(
        ApplyWebhookConfiguration, webhook_endpoints, events, clock, settings.provided.configured_webhooks.call()
    )
    deliver_webhooks = providers.Singleton(
        DeliverWebhooks,
        webhook_endpoints,
        events,
        webhook_deliveries,
        webhook_sender,
        leases,
        clock,
        reconcile_random,
        providers.Callable(webhook_schedule, settings),
        owner=instance_id,
        lease_seconds=settings.provided.worker_lease_seconds,
        concurrency=settings.provided.webhook_concurrency,
        on_attempt=gateway_metrics.provided.webhook_attempt,
    )
    event_relay = providers.Singleton(
        PollingLoop,
        "event_relay",
        relay_events,
        event_relay_pause,
        metrics=gateway_metrics,
        after_last=relay_events.provided.step_down,
        on_work=webhook_pause.provided.wake,
        full_batch=RELAY_BATCH,
        gather_seconds=RELAY_GATHER_SECONDS,
    )
    webhook_delivery = providers.Singleton(
        PollingLoop,
        "webhooks",
        deliver_webhooks,
        webhook_pause,
        metrics=gateway_metrics,
        before_first=apply_webhook_configuration,
    )

    # Account balance: asked on a schedule and on demand; Daraja's Result stores each account's latest balance.
    balance_checks = providers.Singleton(MongoBalanceChecks, mongo_database)
    balance_provider = providers.Singleton(
        DarajaBalanceClient,
        http_client,
        daraja_auth,
        providers.Singleton(balance_settings, settings),
        security_credential,
        breaker=daraja_breaker,
        metrics=daraja_metrics,
    )
    check_balance = providers.Factory(CheckBalance, balance_checks, balance_provider, clock, identifiers)
    handle_balance_result = providers.Factory(
        HandleBalanceResult, balance_checks, account_states, clock, providers.Callable(low_balance_threshold, settings)
    )
    show_balances = providers.Factory(
        ShowBalances, account_states, balance_checks, providers.Callable(low_balance_threshold, settings), clock
    )
    balance_callback_token_known = providers.Singleton(CallbackTokenKnown, balance_checks)
    check_balance_when_due = providers.Singleton(
        CheckBalanceWhenDue,
        balance_checks,
        check_balance,
        leases,
        clock,
        instance_id,
        providers.Callable(seconds, settings.provided.balance_check_interval_seconds),
    )
    balance_schedule = providers.Singleton(
        DueLoop,
        "balance_schedule",
        check_balance_when_due,
        check_balance_when_due.provided.step_down,
        metrics=gateway_metrics,
    )

    # Reversals: recorded before Daraja hears of them, sent once by their own loop under a lease, settled by the
    # Result (or Transaction Status); the payment they refund is marked and its clients told.
    submit_reversal = providers.Factory(
        SubmitNextReversal,
        reversals,
        reversal_provider,
        clock,
        instance_id,
        settings.provided.worker_lease_seconds,
        providers.Callable(seconds, settings.provided.reversal_first_check_seconds),
    )
    reversal_worker = providers.Singleton(
        PollingLoop,
        "reversal_worker",
        providers.Callable(handled, submit_reversal),
        providers.Singleton(IdlePause, settings.provided.worker_poll_seconds, settings.provided.idle_poll_max_seconds),
        metrics=gateway_metrics,
    )
    request_reversal = providers.Factory(
        RequestReversal,
        reversals,
        reversible_payments,
        clock,
        identifiers,
        idempotency_keys,
        on_requested=reversal_worker.provided.wake,
        c2b_payments=c2b_payments,
    )
    show_reversal = providers.Factory(ShowReversal, reversals)
    mark_payment_reversed = providers.Factory(
        MarkPaymentReversed,
        reversible_payments,
        broadcaster,
        clock,
        providers.Factory(MarkC2bPaymentReversed, c2b_payments, payment_requests, broadcaster, clock),
    )
    handle_reversal_result = providers.Factory(HandleReversalResult, reversals, mark_payment_reversed, clock)
    handle_reversal_status = providers.Factory(HandleReversalStatusResult, reversals, mark_payment_reversed, clock)
    reversal_callback_token_known = providers.Singleton(CallbackTokenKnown, reversals)
    reversal_status_token_known = providers.Singleton(
        CallbackTokenKnown, providers.Singleton(OpenStatusQueries, reversals)
    )

    # C2B: Daraja's validation and confirmation calls for the shortcode, and the payment requests they are matched to
    # (their stores are above, with the reversals that may refund them).
    c2b_payment_by_trans_id = c2b_payments.provided.by_trans_id
    find_c2b_payments = providers.Factory(FindC2bPayments, c2b_payments)
    c2b_hook_secret = providers.Singleton(C2bHookSecret, settings.provided.c2b_hook_secret)
    confirm_payment = providers.Factory(ConfirmPayment, payment_requests, c2b_payments, broadcaster, clock)
    # Every shortcode is taken: the C2B Paybill need not be the STK shortcode, and the secret URL already says the
    # call is one Daraja was given.
    validate_payment = providers.Factory(
        ValidatePayment, payment_requests, clock, settings.provided.c2b_validation_rule
    )
    create_payment_request = providers.Factory(CreatePaymentRequest, payment_requests, broadcaster, identifiers, clock)
    c2b_catch_up = providers.Factory(
        CatchUpOpenRequests, payment_requests, settings.provided.catch_up_max_updates, clock
    )
    # The sockets' use cases as providers, built per request: an idle socket holds none of its own.
    socket_use_cases = providers.Singleton(
        SocketUseCases,
        push_payment=push_payment.provider,
        payment_status=payment_status.provider,
        stk_catch_up=stk_catch_up.provider,
        request_withdrawal=request_withdrawal.provider,
        b2c_catch_up=b2c_catch_up.provider,
        c2b_catch_up=c2b_catch_up.provider,
    )
    c2b_provider = providers.Singleton(
        DarajaC2bClient,
        http_client,
        daraja_auth,
        providers.Singleton(c2b_settings, settings),
        breaker=daraja_breaker,
        query_retry=query_retry,
        metrics=daraja_metrics,
    )
    draw_request_qr = providers.Factory(
        DrawRequestQr, payment_requests, c2b_provider, providers.Callable(qr_shop, settings)
    )
    # Simulator mode only (the demo's Paybill tab): the simulator's customer, paying as a person would.
    simulated_customer = providers.Singleton(
        SimulatedCustomer, http_client, settings.provided.resolved_daraja_base_url.call()
    )
    simulated_customer_pays = simulated_customer.provided.pay
    register_c2b_urls = providers.Factory(
        RegisterUrls,
        c2b_provider,
        settings.provided.registered_c2b_shortcode.call(),
        settings.provided.c2b_validation_rule,
        providers.Callable(c2b_hook_urls, settings),
    )
    # Nothing missed: Pull Transactions finds the payments whose confirmation never came (C2B_PULL_SECONDS).
    pull_missed_payments = providers.Singleton(
        PullMissedPayments,
        c2b_provider,
        c2b_payments,
        confirm_payment,
        leases,
        clock,
        instance_id,
        providers.Callable(pull_registration, settings),
        providers.Callable(seconds, settings.provided.c2b_pull_seconds),
    )
    c2b_pull = providers.Singleton(
        DueLoop, "c2b_pull", pull_missed_payments, pull_missed_payments.provided.step_down, metrics=gateway_metrics
    )
    # Closing a request frees its account reference (one open request per reference): without this loop an expired
    # request would hold it for ever. Several instances may run it: a close is a conditional save.
    c2b_expiry = providers.Singleton(
        PollingLoop,
        "c2b_expiry",
        providers.Callable(counted, providers.Singleton(ExpirePaymentRequests, payment_requests, broadcaster, clock)),
        providers.Singleton(IdlePause, settings.provided.worker_poll_seconds, settings.provided.idle_poll_max_seconds),
        metrics=gateway_metrics,
    )
