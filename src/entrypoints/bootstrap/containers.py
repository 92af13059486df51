"""The object graph: one container per capability, composed by ApplicationContainer. Reads like a bill of materials.

Each capability container declares what it needs from the others as `providers.DependenciesContainer()` and its own
providers below; ApplicationContainer passes each the containers it needs, in dependency order. A provider is reached
as `container.<capability>.<provider>` (e.g. `container.stk.push_payment`)."""

import functools
import random
from datetime import timedelta

import httpx
from dependency_injector import containers, providers
from litestar.channels import ChannelsPlugin
from prometheus_client import CollectorRegistry

from adapters.broadcast.channels_broadcaster import ChannelsBroadcaster
from adapters.broadcast.no_subscribers import NoSubscribersBroadcaster
from adapters.broadcast.on_demand_subscriber import OnDemandSubscriber
from adapters.broadcast.waking_broadcaster import WakingBroadcaster
from adapters.daraja.b2c_client import DarajaB2cClient
from adapters.daraja.balance_client import DarajaBalanceClient
from adapters.daraja.c2b_client import DarajaC2bClient
from adapters.daraja.call_metrics import DarajaCallMetrics
from adapters.daraja.circuit_breaker import DarajaCircuitBreaker
from adapters.daraja.daraja_health import DarajaHealth
from adapters.daraja.retry_policy import RetryPolicy
from adapters.daraja.reversal_client import DarajaReversalClient
from adapters.daraja.simulated_customer import SimulatedCustomer
from adapters.daraja.stk_client import DarajaStkClient
from adapters.daraja.token_auth import DarajaTokenAuth
from adapters.mongo.anomaly_log import MongoAnomalyLog
from adapters.mongo.api_key_store import MongoApiKeys
from adapters.mongo.b2c_daily_allowance import MongoDailyAllowance
from adapters.mongo.b2c_withdrawal_repository import MongoWithdrawalRepository
from adapters.mongo.balances import MongoAccountStates, MongoBalanceChecks
from adapters.mongo.c2b_payment_repository import MongoC2bPayments
from adapters.mongo.c2b_request_repository import MongoPaymentRequests
from adapters.mongo.callback_journal import MongoCallbackJournal
from adapters.mongo.callback_trail import MongoCallbackTrail
from adapters.mongo.client import create_mongo_client, gateway_database
from adapters.mongo.event_log import MongoEventLog
from adapters.mongo.event_outbox import MongoEventOutbox
from adapters.mongo.idempotency_keys import MongoIdempotencyKeys
from adapters.mongo.leases import MongoLeases
from adapters.mongo.record_counts import MongoRecordCounts
from adapters.mongo.record_search import MongoRecordSearch
from adapters.mongo.reversal_repository import MongoReversals
from adapters.mongo.reversible_payments import MongoReversiblePayments
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from adapters.mongo.store_health import MongoStoreHealth
from adapters.mongo.stuck_records import MongoStuckRecords
from adapters.mongo.webhook_deliveries import MongoWebhookDeliveries
from adapters.mongo.webhook_endpoints import MongoWebhookEndpoints
from adapters.recent_funds import RecentFunds
from adapters.redis.client import create_redis_client
from adapters.redis.outage import RedisOutage
from adapters.renewing_leases import RenewingLeases
from adapters.system.clock import SystemClock
from adapters.system.identifiers import RandomIdentifiers
from adapters.system.key_material import RandomKeyMaterial
from adapters.webhooks.guarded_network import GuardedTransport
from adapters.webhooks.httpx_sender import HttpxWebhookSender
from domain.access.use_cases.authenticate_api_key import AuthenticateApiKey
from domain.access.use_cases.create_api_key import CreateApiKey
from domain.access.use_cases.list_api_keys import ListApiKeys
from domain.access.use_cases.revoke_api_key import RevokeApiKey
from domain.b2c.use_cases.handle_result import HandleB2cResult
from domain.b2c.use_cases.handle_transaction_status_result import HandleTransactionStatusResult
from domain.b2c.use_cases.reconcile_withdrawals import ReconcileWithdrawals
from domain.b2c.use_cases.request_withdrawal import RequestWithdrawal
from domain.b2c.use_cases.submit_withdrawal import SubmitNextWithdrawal
from domain.balances.use_cases.check_balance import CheckBalance
from domain.balances.use_cases.check_when_due import CheckBalanceWhenDue
from domain.balances.use_cases.handle_balance_result import HandleBalanceResult
from domain.balances.use_cases.show_balances import ShowBalances
from domain.c2b.use_cases.catch_up_open_requests import CatchUpOpenRequests
from domain.c2b.use_cases.confirm_payment import ConfirmPayment
from domain.c2b.use_cases.create_payment_request import CreatePaymentRequest
from domain.c2b.use_cases.draw_request_qr import DrawRequestQr
from domain.c2b.use_cases.expire_payment_requests import ExpirePaymentRequests
from domain.c2b.use_cases.find_payments import FindC2bPayments
from domain.c2b.use_cases.pull_missed_payments import PullMissedPayments
from domain.c2b.use_cases.register_urls import RegisterUrls
from domain.c2b.use_cases.validate_payment import ValidatePayment
from domain.callbacks.use_cases.callback_token_known import CallbackTokenKnown, OpenStatusQueries
from domain.callbacks.use_cases.journal_callback import DigestBudget, JournalCallback
from domain.callbacks.use_cases.list_anomalies import ListAnomalies
from domain.callbacks.use_cases.show_callback_trail import ShowCallbackTrail
from domain.events.types import REVERSAL
from domain.events.use_cases.read_event_feed import ReadEventFeed
from domain.events.use_cases.relay_events import RELAY_BATCH, RELAY_GATHER_SECONDS, RelayEvents
from domain.records.listing import RecordKind
from domain.records.use_cases.catch_up import CatchUp
from domain.records.use_cases.find_record import FindRecord
from domain.records.use_cases.list_records import ListRecords
from domain.records.use_cases.list_stuck_records import ListStuckRecords
from domain.reversals.use_cases.handle_reversal_result import HandleReversalResult
from domain.reversals.use_cases.handle_reversal_status import HandleReversalStatusResult
from domain.reversals.use_cases.mark_c2b_payment_reversed import MarkC2bPaymentReversed
from domain.reversals.use_cases.mark_payment_reversed import MarkPaymentReversed
from domain.reversals.use_cases.reconcile_reversals import ReconcileReversals
from domain.reversals.use_cases.request_reversal import RequestReversal
from domain.reversals.use_cases.show_reversal import ShowReversal
from domain.reversals.use_cases.submit_reversal import SubmitNextReversal
from domain.stk.prompt_limits import PromptGate
from domain.stk.use_cases.handle_callback import HandleStkCallback
from domain.stk.use_cases.payment_status import PaymentStatusQuery
from domain.stk.use_cases.push_payment import PushPayment
from domain.stk.use_cases.reconcile_payments import ReconcileStkPayments
from domain.webhooks.use_cases.apply_configuration import ApplyWebhookConfiguration
from domain.webhooks.use_cases.deliver import DeliverWebhooks
from domain.webhooks.use_cases.enable_webhook import EnableWebhook
from domain.webhooks.use_cases.list_deliveries import ListDeliveries
from domain.webhooks.use_cases.register_webhook import RegisterWebhook
from domain.webhooks.use_cases.remove_webhook import RemoveWebhook
from domain.webhooks.use_cases.replay_events import ReplayEvents
from domain.webhooks.use_cases.webhook_details import WebhookDetails
from entrypoints.bootstrap.builders import (
    RECENT_FUNDS_SECONDS,
    b2c_settings,
    b2c_success_confirmation,
    balance_settings,
    c2b_hook_urls,
    c2b_settings,
    callback_source_policy,
    channels_backend,
    client_authorisation_of,
    counted,
    daraja_settings,
    daraja_timeout,
    handled,
    initiator_credential,
    listeners_of,
    low_balance_threshold,
    message_counter,
    operator_token_of,
    prompt_counter,
    prompt_limits,
    pull_registration,
    qr_shop,
    readiness,
    reconciled_stk_counter,
    reversal_settings,
    seconds,
    socket_guard,
    stk_success_confirmation,
    store_command_counter_of,
    webhook_limits,
    webhook_schedule,
    webhook_timeout,
    worker_identity,
)
from entrypoints.bootstrap.handlers import HandlerDependencies, SimulatorHandlerDependencies
from entrypoints.due_loop import DueLoop
from entrypoints.http.api_key_guard import ServerCredentials
from entrypoints.http.c2b_hooks import C2bHookSecret
from entrypoints.idle_pause import IdlePause
from entrypoints.metrics import GatewayMetrics
from entrypoints.polling_loop import PollingLoop
from entrypoints.reconciler import ReconciliationLoop
from entrypoints.relay_wake_up import RelayWakeUp
from entrypoints.settings import (
    Settings,
)
from entrypoints.worker import WithdrawalWorker
from entrypoints.ws.capability_socket import SocketServices
from entrypoints.ws.drain import SocketDrain
from entrypoints.ws.idle_sweep import IdleSweep
from entrypoints.ws.socket_limits import SocketLimits
from entrypoints.ws.socket_use_cases import SocketUseCases
from entrypoints.ws.store_resync import StoreResync


class InfrastructureContainer(containers.DeclarativeContainer):
    """One of each per process, closed by the lifecycle: the store, Daraja's HTTP client, Redis, the clock, the
    metrics, and the store's collections more than one capability reads."""

    settings = providers.Dependency(instance_of=Settings)

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
    clock = providers.Singleton(SystemClock)
    identifiers = providers.Singleton(RandomIdentifiers)
    # The reconcilers' and the webhook deliverer's jitter.
    reconcile_random = providers.Singleton(random.Random)
    # Metrics: one registry per process (never prometheus_client's global one), served at /metrics.
    metrics_registry = providers.Singleton(CollectorRegistry)
    record_counts = providers.Singleton(MongoRecordCounts, mongo_database)
    # Here rather than with the webhooks and balances: the metrics read them.
    webhook_endpoints = providers.Singleton(MongoWebhookEndpoints, mongo_database)
    # The latest balance of each account: shown in /metrics and the read API, consulted before each payout.
    account_states = providers.Singleton(MongoAccountStates, mongo_database)
    gateway_metrics = providers.Singleton(
        GatewayMetrics, metrics_registry, record_counts, webhook_endpoints, store_command_counter, account_states
    )
    daraja_metrics = providers.Singleton(DarajaCallMetrics, metrics_registry)
    idempotency_keys = providers.Singleton(MongoIdempotencyKeys, mongo_database)
    # A held lease is renewed at a third of its life, not on every step of its holder (adapters.renewing_leases).
    leases = providers.Singleton(RenewingLeases, providers.Singleton(MongoLeases, mongo_database))
    anomaly_log = providers.Singleton(MongoAnomalyLog, mongo_database)
    stuck_records = providers.Singleton(MongoStuckRecords, mongo_database)
    store_health = providers.Singleton(MongoStoreHealth, mongo_client, settings.provided.mongodb_timeout_seconds)


class DarajaContainer(containers.DeclarativeContainer):
    """What every Daraja client of the process shares: its settings, OAuth, breaker, retries and credential."""

    settings = providers.Dependency(instance_of=Settings)
    infrastructure = providers.DependenciesContainer()

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
        infrastructure.http_client,
        daraja.provided.base_url,
        daraja.provided.consumer_key,
        daraja.provided.consumer_secret,
        retry=query_retry,
    )
    security_credential = providers.Singleton(initiator_credential, settings)
    # Daraja is asked for an OAuth token at most every few seconds, whatever the probe rate.
    daraja_health = providers.Singleton(
        DarajaHealth,
        infrastructure.http_client,
        daraja.provided.base_url,
        daraja.provided.consumer_key,
        daraja.provided.consumer_secret,
    )


class EventsContainer(containers.DeclarativeContainer):
    """Events and webhooks: every state change is published to the sockets (channels, relayed through Redis) and
    kept in the outbox; the relay numbers it into the feed; the deliverer POSTs it to the webhooks."""

    settings = providers.Dependency(instance_of=Settings)
    infrastructure = providers.DependenciesContainer()

    channels = providers.Singleton(
        ChannelsPlugin,
        backend=providers.Singleton(
            channels_backend,
            settings,
            infrastructure.redis_client,
            infrastructure.redis_outage,
            infrastructure.instance_id,
        ),
        arbitrary_channels_allowed=True,
        # An idle socket holds no queue and runs no task: the sockets held per process depend on it.
        subscriber_class=OnDemandSubscriber,
    )
    # The event relay's and webhook deliverer's waits between looks: every stored state change is published, and
    # wakes the relay (its events wait in the outbox); the relay wakes the deliverer when it numbered events.
    event_relay_pause = providers.Singleton(
        IdlePause, settings.provided.webhook_poll_seconds, settings.provided.idle_poll_max_seconds
    )
    webhook_pause = providers.Singleton(
        IdlePause, settings.provided.webhook_poll_seconds, settings.provided.idle_poll_max_seconds
    )
    # The event feed's store side; the relay numbers the records' state changes into it.
    events = providers.Singleton(MongoEventLog, infrastructure.mongo_database)
    event_outbox = providers.Singleton(MongoEventOutbox, infrastructure.mongo_database)
    relay_events = providers.Singleton(
        RelayEvents,
        event_outbox,
        events,
        infrastructure.leases,
        infrastructure.clock,
        infrastructure.instance_id,
        settings.provided.worker_lease_seconds,
        full_look_every=providers.Callable(seconds, settings.provided.idle_poll_max_seconds),
    )
    relay_wake_up = providers.Singleton(RelayWakeUp, relay_events, event_relay_pause)
    broadcaster = providers.Singleton(
        WakingBroadcaster,
        providers.Singleton(ChannelsBroadcaster, channels),
        relay_wake_up,
    )

    webhook_endpoints = infrastructure.webhook_endpoints
    webhook_deliveries = providers.Singleton(MongoWebhookDeliveries, infrastructure.mongo_database)
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
    webhook_sender = providers.Singleton(HttpxWebhookSender, webhook_http_client, infrastructure.clock)
    read_event_feed = providers.Factory(ReadEventFeed, events)
    register_webhook = providers.Factory(
        RegisterWebhook,
        webhook_endpoints,
        events,
        infrastructure.identifiers,
        infrastructure.clock,
        settings.provided.webhooks_allow_http.call(),
        webhook_destinations,
    )
    webhook_details = providers.Factory(WebhookDetails, webhook_endpoints)
    remove_webhook = providers.Factory(RemoveWebhook, webhook_endpoints)
    enable_webhook = providers.Factory(EnableWebhook, webhook_endpoints)
    replay_events = providers.Factory(
        ReplayEvents, webhook_endpoints, events, infrastructure.identifiers, infrastructure.clock
    )
    list_deliveries = providers.Factory(ListDeliveries, webhook_endpoints, webhook_deliveries)
    apply_webhook_configuration = providers.Factory(
        ApplyWebhookConfiguration,
        webhook_endpoints,
        events,
        infrastructure.clock,
        settings.provided.configured_webhooks.call(),
    )
    deliver_webhooks = providers.Singleton(
        DeliverWebhooks,
        webhook_endpoints,
        events,
        webhook_deliveries,
        webhook_sender,
        infrastructure.leases,
        infrastructure.clock,
        infrastructure.reconcile_random,
        providers.Callable(webhook_schedule, settings),
        owner=infrastructure.instance_id,
        lease_seconds=settings.provided.worker_lease_seconds,
        concurrency=settings.provided.webhook_concurrency,
        on_attempt=infrastructure.gateway_metrics.provided.webhook_attempt,
    )
    event_relay = providers.Singleton(
        PollingLoop,
        "event_relay",
        relay_events,
        event_relay_pause,
        metrics=infrastructure.gateway_metrics,
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
        metrics=infrastructure.gateway_metrics,
        before_first=apply_webhook_configuration,
    )


class AccessContainer(containers.DeclarativeContainer):
    """Who may ask: server API keys (hashed in the store), client capability tokens, the operator's token."""

    settings = providers.Dependency(instance_of=Settings)
    infrastructure = providers.DependenciesContainer()

    # Verified keys are cached briefly in each process.
    api_keys = providers.Singleton(MongoApiKeys, infrastructure.mongo_database)
    authenticate_api_key = providers.Singleton(
        AuthenticateApiKey,
        api_keys,
        infrastructure.clock,
        providers.Callable(seconds, settings.provided.api_key_cache_seconds),
    )
    server_credentials = providers.Singleton(
        ServerCredentials, authenticate_api_key, keys_optional=settings.provided.api_keys_optional
    )
    create_api_key = providers.Factory(
        CreateApiKey, api_keys, providers.Singleton(RandomKeyMaterial), infrastructure.clock
    )
    list_api_keys = providers.Factory(ListApiKeys, api_keys)
    revoke_api_key = providers.Factory(RevokeApiKey, api_keys, infrastructure.clock)
    client_authorisation = providers.Singleton(
        client_authorisation_of, settings, infrastructure.clock, infrastructure.gateway_metrics
    )
    operator_token = providers.Callable(operator_token_of, settings)


class StkContainer(containers.DeclarativeContainer):
    """STK push: the prompt on the customer's phone, its callback, and the limits on prompts per phone."""

    settings = providers.Dependency(instance_of=Settings)
    infrastructure = providers.DependenciesContainer()
    daraja = providers.DependenciesContainer()
    events = providers.DependenciesContainer()

    payment_provider = providers.Singleton(
        DarajaStkClient,
        infrastructure.http_client,
        daraja.daraja_auth,
        daraja.daraja,
        infrastructure.clock,
        breaker=daraja.daraja_breaker,
        query_retry=daraja.query_retry,
        metrics=infrastructure.daraja_metrics,
    )
    payments = providers.Singleton(MongoPaymentRepository, infrastructure.mongo_database)
    # Counted in Redis when there is one, else in this process: a store command per push saved (docs/store-shape.md).
    rate_limiter = providers.Singleton(
        prompt_counter, settings, infrastructure.redis_client, infrastructure.redis_outage
    )
    prompt_gate = providers.Singleton(PromptGate, rate_limiter, providers.Callable(prompt_limits, settings))
    # Use-cases: stateless, built per request or per socket.
    push_payment = providers.Factory(
        PushPayment,
        payments,
        payment_provider,
        events.broadcaster,
        infrastructure.clock,
        infrastructure.identifiers,
        infrastructure.idempotency_keys,
        settings.provided.stk_max_amount,
        providers.Callable(seconds, settings.provided.stk_first_check_seconds),
        gate=prompt_gate,
    )
    payment_status = providers.Factory(PaymentStatusQuery, payments)
    handle_stk_callback = providers.Factory(
        HandleStkCallback,
        payments,
        events.broadcaster,
        infrastructure.clock,
        infrastructure.anomaly_log,
        confirm=providers.Callable(stk_success_confirmation, settings, payment_provider),
        recheck_after=providers.Callable(seconds, settings.provided.stk_first_check_seconds),
    )
    # Which records each callback URL's token may name.
    stk_callback_token_known = providers.Singleton(CallbackTokenKnown, payments)
    stk_catch_up = providers.Factory(
        CatchUp,
        payments,
        infrastructure.clock,
        providers.Callable(seconds, settings.provided.catch_up_window_seconds),
        settings.provided.catch_up_limit,
        providers.Callable(seconds, settings.provided.stk_outcome_unknown_after_seconds),
        max_updates=settings.provided.catch_up_max_updates,
        writes_land_within=providers.Callable(seconds, settings.provided.catch_up_settle_seconds),
    )


class B2cContainer(containers.DeclarativeContainer):
    """B2C withdrawals: queued, sent one at a time by the worker under a lease, settled by the Result."""

    settings = providers.Dependency(instance_of=Settings)
    infrastructure = providers.DependenciesContainer()
    daraja = providers.DependenciesContainer()
    events = providers.DependenciesContainer()

    payout_provider = providers.Singleton(
        DarajaB2cClient,
        infrastructure.http_client,
        daraja.daraja_auth,
        providers.Singleton(b2c_settings, settings),
        daraja.security_credential,
        breaker=daraja.daraja_breaker,
        query_retry=daraja.query_retry,
        metrics=infrastructure.daraja_metrics,
    )
    withdrawals = providers.Singleton(MongoWithdrawalRepository, infrastructure.mongo_database)
    daily_allowance = providers.Singleton(MongoDailyAllowance, infrastructure.mongo_database)
    submit_withdrawal = providers.Factory(
        SubmitNextWithdrawal,
        withdrawals,
        payout_provider,
        daily_allowance,
        events.broadcaster,
        infrastructure.clock,
        infrastructure.instance_id,
        settings.provided.worker_lease_seconds,
        providers.Callable(seconds, settings.provided.b2c_first_check_seconds),
        funds=providers.Singleton(
            RecentFunds,
            infrastructure.account_states,
            infrastructure.clock,
            timedelta(seconds=RECENT_FUNDS_SECONDS),
        ),
        on_uncovered=infrastructure.gateway_metrics.provided.withdrawal_uncovered,
    )
    # The B2C worker: one per process; a queued withdrawal wakes it at once.
    worker = providers.Singleton(
        WithdrawalWorker,
        submit_withdrawal,
        settings.provided.worker_poll_seconds,
        metrics=infrastructure.gateway_metrics,
        max_idle_seconds=settings.provided.idle_poll_max_seconds,
    )
    request_withdrawal = providers.Factory(
        RequestWithdrawal,
        withdrawals,
        daily_allowance,
        events.broadcaster,
        infrastructure.clock,
        infrastructure.identifiers,
        infrastructure.idempotency_keys,
        settings.provided.b2c_min_amount,
        settings.provided.b2c_max_amount,
        settings.provided.b2c_daily_limit,
        on_queued=worker.provided.wake,
    )
    handle_b2c_result = providers.Factory(
        HandleB2cResult,
        withdrawals,
        daily_allowance,
        events.broadcaster,
        infrastructure.clock,
        infrastructure.anomaly_log,
        confirm=providers.Callable(b2c_success_confirmation, settings, payout_provider),
        identifiers=infrastructure.identifiers,
        recheck_after=providers.Callable(seconds, settings.provided.b2c_first_check_seconds),
    )
    handle_transaction_status_result = providers.Factory(
        HandleTransactionStatusResult,
        withdrawals,
        daily_allowance,
        events.broadcaster,
        infrastructure.clock,
        infrastructure.anomaly_log,
    )
    # Which records each callback URL's token may name (the status URLs: the withdrawal's own, for now).
    b2c_callback_token_known = providers.Singleton(CallbackTokenKnown, withdrawals)
    status_callback_token_known = providers.Singleton(
        CallbackTokenKnown, providers.Singleton(OpenStatusQueries, withdrawals)
    )
    b2c_catch_up = providers.Factory(
        CatchUp,
        withdrawals,
        infrastructure.clock,
        providers.Callable(seconds, settings.provided.catch_up_window_seconds),
        settings.provided.catch_up_limit,
        max_updates=settings.provided.catch_up_max_updates,
        writes_land_within=providers.Callable(seconds, settings.provided.catch_up_settle_seconds),
    )


class ReversalsContainer(containers.DeclarativeContainer):
    """Reversals: recorded before Daraja hears of them, sent once by their own loop under a lease, settled by the
    Result (or Transaction Status); the payment they refund (an STK payment, or a C2B payment) is marked and its
    clients told."""

    settings = providers.Dependency(instance_of=Settings)
    infrastructure = providers.DependenciesContainer()
    daraja = providers.DependenciesContainer()
    events = providers.DependenciesContainer()
    c2b = providers.DependenciesContainer()

    reversals = providers.Singleton(
        MongoReversals,
        infrastructure.mongo_database,
        providers.Callable(functools.partial, events.relay_wake_up.provided.written, frozenset({REVERSAL})),
    )
    reversible_payments = providers.Singleton(MongoReversiblePayments, infrastructure.mongo_database)
    reversal_provider = providers.Singleton(
        DarajaReversalClient,
        infrastructure.http_client,
        daraja.daraja_auth,
        providers.Singleton(reversal_settings, settings),
        daraja.security_credential,
        breaker=daraja.daraja_breaker,
        query_retry=daraja.query_retry,
        metrics=infrastructure.daraja_metrics,
    )
    submit_reversal = providers.Factory(
        SubmitNextReversal,
        reversals,
        reversal_provider,
        infrastructure.clock,
        infrastructure.instance_id,
        settings.provided.worker_lease_seconds,
        providers.Callable(seconds, settings.provided.reversal_first_check_seconds),
    )
    reversal_worker = providers.Singleton(
        PollingLoop,
        "reversal_worker",
        providers.Callable(handled, submit_reversal),
        providers.Singleton(IdlePause, settings.provided.worker_poll_seconds, settings.provided.idle_poll_max_seconds),
        metrics=infrastructure.gateway_metrics,
    )
    request_reversal = providers.Factory(
        RequestReversal,
        reversals,
        reversible_payments,
        infrastructure.clock,
        infrastructure.identifiers,
        infrastructure.idempotency_keys,
        on_requested=reversal_worker.provided.wake,
        c2b_payments=c2b.c2b_payments,
    )
    show_reversal = providers.Factory(ShowReversal, reversals)
    mark_payment_reversed = providers.Factory(
        MarkPaymentReversed,
        reversible_payments,
        events.broadcaster,
        infrastructure.clock,
        providers.Factory(
            MarkC2bPaymentReversed, c2b.c2b_payments, c2b.payment_requests, events.broadcaster, infrastructure.clock
        ),
    )
    handle_reversal_result = providers.Factory(
        HandleReversalResult, reversals, mark_payment_reversed, infrastructure.clock
    )
    handle_reversal_status = providers.Factory(
        HandleReversalStatusResult, reversals, mark_payment_reversed, infrastructure.clock
    )
    reversal_callback_token_known = providers.Singleton(CallbackTokenKnown, reversals)
    reversal_status_token_known = providers.Singleton(
        CallbackTokenKnown, providers.Singleton(OpenStatusQueries, reversals)
    )


class BalancesContainer(containers.DeclarativeContainer):
    """Account balance: asked on a schedule and on demand; Daraja's Result stores each account's latest balance."""

    settings = providers.Dependency(instance_of=Settings)
    infrastructure = providers.DependenciesContainer()
    daraja = providers.DependenciesContainer()

    balance_checks = providers.Singleton(MongoBalanceChecks, infrastructure.mongo_database)
    balance_provider = providers.Singleton(
        DarajaBalanceClient,
        infrastructure.http_client,
        daraja.daraja_auth,
        providers.Singleton(balance_settings, settings),
        daraja.security_credential,
        breaker=daraja.daraja_breaker,
        metrics=infrastructure.daraja_metrics,
    )
    check_balance = providers.Factory(
        CheckBalance, balance_checks, balance_provider, infrastructure.clock, infrastructure.identifiers
    )
    handle_balance_result = providers.Factory(
        HandleBalanceResult,
        balance_checks,
        infrastructure.account_states,
        infrastructure.clock,
        providers.Callable(low_balance_threshold, settings),
    )
    show_balances = providers.Factory(
        ShowBalances,
        infrastructure.account_states,
        balance_checks,
        providers.Callable(low_balance_threshold, settings),
        infrastructure.clock,
    )
    balance_callback_token_known = providers.Singleton(CallbackTokenKnown, balance_checks)
    check_balance_when_due = providers.Singleton(
        CheckBalanceWhenDue,
        balance_checks,
        check_balance,
        infrastructure.leases,
        infrastructure.clock,
        infrastructure.instance_id,
        providers.Callable(seconds, settings.provided.balance_check_interval_seconds),
    )
    balance_schedule = providers.Singleton(
        DueLoop,
        "balance_schedule",
        check_balance_when_due,
        check_balance_when_due.provided.step_down,
        metrics=infrastructure.gateway_metrics,
    )


class C2bContainer(containers.DeclarativeContainer):
    """C2B: Daraja's validation and confirmation calls for the shortcode, and the payment requests they are matched
    to."""

    settings = providers.Dependency(instance_of=Settings)
    infrastructure = providers.DependenciesContainer()
    daraja = providers.DependenciesContainer()
    events = providers.DependenciesContainer()

    payment_requests = providers.Singleton(MongoPaymentRequests, infrastructure.mongo_database)
    c2b_payments = providers.Singleton(MongoC2bPayments, infrastructure.mongo_database)
    c2b_payment_by_trans_id = c2b_payments.provided.by_trans_id
    find_c2b_payments = providers.Factory(FindC2bPayments, c2b_payments)
    c2b_hook_secret = providers.Singleton(C2bHookSecret, settings.provided.c2b_hook_secret)
    confirm_payment = providers.Factory(
        ConfirmPayment, payment_requests, c2b_payments, events.broadcaster, infrastructure.clock
    )
    # Every shortcode is taken: the C2B Paybill need not be the STK shortcode, and the secret URL already says the
    # call is one Daraja was given.
    validate_payment = providers.Factory(
        ValidatePayment, payment_requests, infrastructure.clock, settings.provided.c2b_validation_rule
    )
    create_payment_request = providers.Factory(
        CreatePaymentRequest, payment_requests, events.broadcaster, infrastructure.identifiers, infrastructure.clock
    )
    c2b_catch_up = providers.Factory(
        CatchUpOpenRequests, payment_requests, settings.provided.catch_up_max_updates, infrastructure.clock
    )
    c2b_provider = providers.Singleton(
        DarajaC2bClient,
        infrastructure.http_client,
        daraja.daraja_auth,
        providers.Singleton(c2b_settings, settings),
        breaker=daraja.daraja_breaker,
        query_retry=daraja.query_retry,
        metrics=infrastructure.daraja_metrics,
    )
    draw_request_qr = providers.Factory(
        DrawRequestQr, payment_requests, c2b_provider, providers.Callable(qr_shop, settings)
    )
    # Simulator mode only (the demo's Paybill tab): the simulator's customer, paying as a person would.
    simulated_customer = providers.Singleton(
        SimulatedCustomer, infrastructure.http_client, settings.provided.resolved_daraja_base_url.call()
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
        infrastructure.leases,
        infrastructure.clock,
        infrastructure.instance_id,
        providers.Callable(pull_registration, settings),
        providers.Callable(seconds, settings.provided.c2b_pull_seconds),
    )
    c2b_pull = providers.Singleton(
        DueLoop,
        "c2b_pull",
        pull_missed_payments,
        pull_missed_payments.provided.step_down,
        metrics=infrastructure.gateway_metrics,
    )
    # Closing a request frees its account reference (one open request per reference): without this loop an expired
    # request would hold it for ever. Several instances may run it: a close is a conditional save.
    c2b_expiry = providers.Singleton(
        PollingLoop,
        "c2b_expiry",
        providers.Callable(
            counted,
            providers.Singleton(ExpirePaymentRequests, payment_requests, events.broadcaster, infrastructure.clock),
        ),
        providers.Singleton(IdlePause, settings.provided.worker_poll_seconds, settings.provided.idle_poll_max_seconds),
        metrics=infrastructure.gateway_metrics,
    )


class ReconciliationContainer(containers.DeclarativeContainer):
    """Payments, withdrawals and reversals whose outcome is overdue are asked about, never re-sent."""

    settings = providers.Dependency(instance_of=Settings)
    infrastructure = providers.DependenciesContainer()
    stk = providers.DependenciesContainer()
    b2c = providers.DependenciesContainer()
    reversals = providers.DependenciesContainer()
    events = providers.DependenciesContainer()

    reconcile_stk_payments = providers.Factory(
        ReconcileStkPayments,
        stk.payments,
        stk.payment_provider,
        events.broadcaster,
        infrastructure.clock,
        infrastructure.reconcile_random,
        initial_delay_seconds=settings.provided.stk_first_check_seconds,
        max_delay_seconds=settings.provided.reconcile_max_delay_seconds,
        on_settled=providers.Callable(reconciled_stk_counter, infrastructure.gateway_metrics),
        anomalies=infrastructure.anomaly_log,
    )
    reconcile_withdrawals = providers.Factory(
        ReconcileWithdrawals,
        b2c.withdrawals,
        b2c.payout_provider,
        infrastructure.clock,
        infrastructure.reconcile_random,
        infrastructure.identifiers,
        initial_delay_seconds=settings.provided.b2c_first_check_seconds,
        max_delay_seconds=settings.provided.reconcile_max_delay_seconds,
    )
    reconcile_reversals = providers.Factory(
        ReconcileReversals,
        reversals.reversals,
        reversals.reversal_provider,
        infrastructure.clock,
        infrastructure.reconcile_random,
        infrastructure.identifiers,
        initial_delay_seconds=settings.provided.reversal_first_check_seconds,
        max_delay_seconds=settings.provided.reconcile_max_delay_seconds,
    )
    reconciliation = providers.Singleton(
        ReconciliationLoop,
        providers.List(reconcile_stk_payments, reconcile_withdrawals, reconcile_reversals),
        settings.provided.reconcile_poll_seconds,
        metrics=infrastructure.gateway_metrics,
        kinds=["stk", "b2c", "reversal"],
        max_idle_seconds=settings.provided.idle_poll_max_seconds,
    )


class CallbacksContainer(containers.DeclarativeContainer):
    """What every Daraja callback route shares: the journal of what arrived, and where it may come from."""

    settings = providers.Dependency(instance_of=Settings)
    infrastructure = providers.DependenciesContainer()

    callback_journal = providers.Singleton(MongoCallbackJournal, infrastructure.mongo_database)
    # One digest budget per process: see DIGESTS_PER_MINUTE.
    journal_callback = providers.Factory(
        JournalCallback, callback_journal, infrastructure.clock, providers.Singleton(DigestBudget)
    )
    callback_sources = providers.Singleton(callback_source_policy, settings)


class RecordsContainer(containers.DeclarativeContainer):
    """The read API (payments and withdrawals as stored) and the operator's views: anomalies, stuck records, and
    readiness (one named check per dependency /ready reports on)."""

    settings = providers.Dependency(instance_of=Settings)
    infrastructure = providers.DependenciesContainer()
    daraja = providers.DependenciesContainer()

    stk_records = providers.Singleton(MongoRecordSearch, infrastructure.mongo_database, RecordKind.STK)
    b2c_records = providers.Singleton(MongoRecordSearch, infrastructure.mongo_database, RecordKind.B2C)
    find_record = providers.Factory(FindRecord, providers.List(stk_records, b2c_records))
    list_records = providers.Factory(
        ListRecords, providers.Dict({RecordKind.STK: stk_records, RecordKind.B2C: b2c_records})
    )
    list_anomalies = providers.Factory(ListAnomalies, infrastructure.anomaly_log)
    show_callback_trail = providers.Factory(
        ShowCallbackTrail, providers.Singleton(MongoCallbackTrail, infrastructure.mongo_database)
    )
    list_stuck_records = providers.Factory(
        ListStuckRecords,
        infrastructure.stuck_records,
        infrastructure.clock,
        providers.Callable(seconds, settings.provided.stk_outcome_unknown_after_seconds),
    )
    readiness_checks = providers.Singleton(
        readiness, infrastructure.store_health, daraja.daraja_health, infrastructure.redis_client
    )


class SocketsContainer(containers.DeclarativeContainer):
    """The WebSocket listeners' limits, use cases and the rest of what a socket route needs."""

    settings = providers.Dependency(instance_of=Settings)
    infrastructure = providers.DependenciesContainer()
    events = providers.DependenciesContainer()
    access = providers.DependenciesContainer()
    stk = providers.DependenciesContainer()
    b2c = providers.DependenciesContainer()
    c2b = providers.DependenciesContainer()

    socket_limits = providers.Singleton(
        SocketLimits,
        idle=providers.Singleton(IdleSweep, settings.provided.ws_idle_timeout),
        drain=providers.Singleton(SocketDrain),
        resync=infrastructure.store_resync,
        metrics=infrastructure.gateway_metrics,
        guard=providers.Singleton(
            socket_guard,
            settings,
            providers.Singleton(message_counter, settings, infrastructure.redis_client, infrastructure.redis_outage),
            infrastructure.clock,
        ),
    )
    # The sockets' use cases as providers, built per request: an idle socket holds none of its own.
    socket_use_cases = providers.Singleton(
        SocketUseCases,
        push_payment=stk.push_payment.provider,
        payment_status=stk.payment_status.provider,
        stk_catch_up=stk.stk_catch_up.provider,
        request_withdrawal=b2c.request_withdrawal.provider,
        b2c_catch_up=b2c.b2c_catch_up.provider,
        c2b_catch_up=c2b.c2b_catch_up.provider,
    )
    socket_services = providers.Singleton(
        SocketServices, events.channels, socket_limits, socket_use_cases, access.client_authorisation
    )


class ApplicationContainer(containers.DeclarativeContainer):
    """The whole gateway: each capability's container, given the ones it builds on."""

    settings = providers.Dependency(instance_of=Settings)

    infrastructure = providers.Container(InfrastructureContainer, settings=settings)
    daraja = providers.Container(DarajaContainer, settings=settings, infrastructure=infrastructure)
    events = providers.Container(EventsContainer, settings=settings, infrastructure=infrastructure)
    access = providers.Container(AccessContainer, settings=settings, infrastructure=infrastructure)
    stk = providers.Container(
        StkContainer, settings=settings, infrastructure=infrastructure, daraja=daraja, events=events
    )
    b2c = providers.Container(
        B2cContainer, settings=settings, infrastructure=infrastructure, daraja=daraja, events=events
    )
    c2b = providers.Container(
        C2bContainer, settings=settings, infrastructure=infrastructure, daraja=daraja, events=events
    )
    reversals = providers.Container(
        ReversalsContainer, settings=settings, infrastructure=infrastructure, daraja=daraja, events=events, c2b=c2b
    )
    balances = providers.Container(BalancesContainer, settings=settings, infrastructure=infrastructure, daraja=daraja)
    reconciliation = providers.Container(
        ReconciliationContainer,
        settings=settings,
        infrastructure=infrastructure,
        stk=stk,
        b2c=b2c,
        reversals=reversals,
        events=events,
    )
    callbacks = providers.Container(CallbacksContainer, settings=settings, infrastructure=infrastructure)
    records = providers.Container(RecordsContainer, settings=settings, infrastructure=infrastructure, daraja=daraja)
    sockets = providers.Container(
        SocketsContainer,
        settings=settings,
        infrastructure=infrastructure,
        events=events,
        access=access,
        stk=stk,
        b2c=b2c,
        c2b=c2b,
    )
    # What the route handlers ask Litestar for (entrypoints.app wires exactly these).
    handlers = providers.Container(
        HandlerDependencies,
        stk=stk,
        b2c=b2c,
        reversals=reversals,
        balances=balances,
        c2b=c2b,
        events=events,
        callbacks=callbacks,
        records=records,
        access=access,
        infrastructure=infrastructure,
    )
    simulator_handlers = providers.Container(SimulatorHandlerDependencies, stk=stk, c2b=c2b)


def worker_container(settings: Settings) -> ApplicationContainer:
    """`mpesa-gateway worker`'s graph. Without sockets or Redis there is nobody to tell: the gateways publish what
    their callbacks settle."""
    container = ApplicationContainer(settings=settings)
    if settings.redis_url is None:
        container.events.broadcaster.override(providers.Singleton(NoSubscribersBroadcaster))
    return container
