"""The gateway's Prometheus metrics, on one registry per process (built by the container, never the global default,
so several apps can live in one test process). Every label set is bounded: endpoint, kind, outcome, state; never a
hash, phone, token or id."""

import contextlib
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Protocol

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from domain.balances.ports import AccountStates
from domain.records.ports import RecordCounts
from domain.shared.errors import StoreUnavailableError
from domain.webhooks.delivery import DeliveryAttempt
from domain.webhooks.endpoint import EndpointState
from domain.webhooks.ports import WebhookEndpoints

logger = structlog.get_logger()


class StoreCommandCounts(Protocol):
    """What the driver's command counter (adapters.mongo.command_counter) shows the metrics."""

    @property
    def counts(self) -> Mapping[tuple[str, str], int]: ...

    @property
    def while_scraping(self) -> int: ...

    def scraping(self) -> AbstractContextManager[None]: ...


CONTENT_TYPE = CONTENT_TYPE_LATEST
ENDPOINTS = ("stk", "b2c", "c2b")


class GatewayMetrics:
    def __init__(
        self,
        registry: CollectorRegistry,
        record_counts: RecordCounts | None = None,
        webhook_endpoints: WebhookEndpoints | None = None,
        store_commands: StoreCommandCounts | None = None,
        balances: AccountStates | None = None,
    ) -> None:
        self.registry, self._record_counts, self._webhook_endpoints = registry, record_counts, webhook_endpoints
        self._balances = balances
        self._store_commands = store_commands
        if store_commands is not None:
            registry.register(_StoreCommands(store_commands))
        self.open_sockets = Gauge(
            "mpesa_gateway_open_sockets", "Client sockets open now, by endpoint.", ["endpoint"], registry=registry
        )
        for endpoint in ENDPOINTS:
            self.open_sockets.labels(endpoint=endpoint)
        self.v1_tokens = Counter(
            "mpesa_gateway_v1_tokens",
            "Sockets admitted with a deprecated v1 capability token (docs/security.md: Client authorisation).",
            registry=registry,
        )
        self.messages = Counter(
            "mpesa_gateway_messages",
            "Client messages answered, by kind and outcome (ok, or the error code).",
            ["kind", "outcome"],
            registry=registry,
        )
        self.callbacks = Counter(
            "mpesa_gateway_callbacks",
            "Daraja callbacks received, by kind and result (accepted or rejected).",
            ["kind", "result"],
            registry=registry,
        )
        self.callbacks_journaled = Counter(
            "mpesa_gateway_callbacks_journaled",
            "Daraja callbacks by what the journal kept: full, digest (SHA-256 and size only) or none (counted only).",
            ["kind", "kept"],
            registry=registry,
        )
        self.payments = Gauge(
            "mpesa_gateway_payments",
            "Stored STK payments by state (read at scrape time).",
            ["state"],
            registry=registry,
        )
        self.withdrawals = Gauge(
            "mpesa_gateway_withdrawals",
            "Stored B2C withdrawals by state (read at scrape time).",
            ["state"],
            registry=registry,
        )
        self.store_count_failures = Counter(
            "mpesa_gateway_store_count_failures",
            "Scrapes whose state counts could not be read (the store was unavailable).",
            registry=registry,
        )
        self.reconciler_checked = Counter(
            "mpesa_gateway_reconciler_checked",
            "Records the reconciler claimed and asked Daraja about, by kind (stk, b2c or reversal).",
            ["kind"],
            registry=registry,
        )
        self.reconciler_settled = Counter(
            "mpesa_gateway_reconciler_settled",
            "Records settled by reconciliation (an STK query answer, or a Transaction Status result), by kind.",
            ["kind"],
            registry=registry,
        )
        self.withdrawals_sent = Counter(
            "mpesa_gateway_worker_withdrawals_sent",
            "Withdrawals the worker sent to Daraja, by the state they were left in.",
            ["state"],
            registry=registry,
        )
        self.last_run = Gauge(
            "mpesa_gateway_last_run_timestamp_seconds",
            "When each background loop (worker, reconciler) last finished a round, as a Unix time.",
            ["loop"],
            registry=registry,
        )

        self.webhook_attempts = Counter(
            "mpesa_gateway_webhook_attempts",
            "Webhook POSTs made by this process, by outcome (delivered, failed).",
            ["outcome"],
            registry=registry,
        )
        self.webhook_endpoints = Gauge(
            "mpesa_gateway_webhook_endpoints",
            "Registered webhook endpoints by state (enabled, disabled), and those failing now (read at scrape time).",
            ["state"],
            registry=registry,
        )
        # Labelled by Daraja's account names (a handful per shortcode: Working, Utility, Charges Paid, ...).
        self.account_balance = Gauge(
            "mpesa_account_balance",
            "Available balance of each M-PESA account of the B2C shortcode, as last reported (read at scrape time).",
            ["account", "currency"],
            registry=registry,
        )
        self.account_balance_checked = Gauge(
            "mpesa_account_balance_checked_timestamp_seconds",
            "When each account's balance was last reported, as a Unix time (read at scrape time).",
            ["account"],
            registry=registry,
        )
        self.uncovered_withdrawals = Counter(
            "mpesa_gateway_withdrawals_uncovered",
            "Withdrawals sent although the last known utility balance could not cover them (docs/balances.md).",
            registry=registry,
        )

    # Sockets and messages.
    def socket_opened(self, endpoint: str) -> None:
        self.open_sockets.labels(endpoint=_endpoint(endpoint)).inc()

    def socket_closed(self, endpoint: str) -> None:
        self.open_sockets.labels(endpoint=_endpoint(endpoint)).dec()

    def v1_token_admitted(self) -> None:
        self.v1_tokens.inc()

    def message_answered(self, kind: str, outcome: str) -> None:
        self.messages.labels(kind=kind, outcome=outcome).inc()

    # Callbacks.
    def callback(self, kind: str, *, accepted: bool) -> None:
        self.callbacks.labels(kind=kind, result="accepted" if accepted else "rejected").inc()

    def callback_journaled(self, kind: str, kept: str) -> None:
        self.callbacks_journaled.labels(kind=kind, kept=kept).inc()

    # Background loops.
    def reconciled(self, kind: str, checked: int) -> None:
        if checked:
            self.reconciler_checked.labels(kind=kind).inc(checked)

    def settled_by_reconciliation(self, kind: str) -> None:
        self.reconciler_settled.labels(kind=kind).inc()

    def withdrawal_sent(self, state: str) -> None:
        self.withdrawals_sent.labels(state=state).inc()

    def webhook_attempt(self, attempt: DeliveryAttempt) -> None:
        self.webhook_attempts.labels(outcome="delivered" if attempt.succeeded else "failed").inc()

    def withdrawal_uncovered(self) -> None:
        self.uncovered_withdrawals.inc()

    def loop_ran(self, loop: str) -> None:
        self.last_run.labels(loop=loop).set(time.time())

    async def scrape(self) -> bytes:
        """The exposition text; the state gauges are read from the store now (a few indexed counts), and those
        reads are not counted in mpesa_store_commands_total."""
        with self._store_commands.scraping() if self._store_commands is not None else contextlib.nullcontext():
            await self._read_store_gauges()
        return generate_latest(self.registry)

    async def _read_store_gauges(self) -> None:
        if self._record_counts is not None:
            try:
                payments = await self._record_counts.payments_by_status()
                withdrawals = await self._record_counts.withdrawals_by_status()
            except StoreUnavailableError:
                self.store_count_failures.inc()
            except Exception:
                logger.exception("metrics_store_counts_failed")
                self.store_count_failures.inc()
            else:
                for state, count in payments.items():
                    self.payments.labels(state=state).set(count)
                for state, count in withdrawals.items():
                    self.withdrawals.labels(state=state).set(count)
        await self._count_webhook_endpoints()
        await self._read_balances()

    async def _read_balances(self) -> None:
        if self._balances is None:
            return
        try:
            states = await self._balances.all()
        except Exception:
            logger.exception("metrics_balances_failed")
            self.store_count_failures.inc()
            return
        for state in states:
            balance = state.balance
            self.account_balance.labels(account=balance.name, currency=balance.currency).set(float(balance.available))
            self.account_balance_checked.labels(account=balance.name).set(state.checked_at.timestamp())

    async def _count_webhook_endpoints(self) -> None:
        if self._webhook_endpoints is None:
            return
        try:
            endpoints = await self._webhook_endpoints.all()
        except Exception:
            logger.exception("metrics_webhook_endpoints_failed")
            self.store_count_failures.inc()
            return
        for state in EndpointState:
            self.webhook_endpoints.labels(state=state.value).set(sum(e.state is state for e in endpoints))
        self.webhook_endpoints.labels(state="failing").set(sum(e.failing_since is not None for e in endpoints))


class _StoreCommands(Collector):
    """The driver's command counts, read at scrape time (counting itself touches no Prometheus object)."""

    def __init__(self, counter: StoreCommandCounts) -> None:
        self._counter = counter

    def collect(self) -> Iterator[Metric]:
        commands = CounterMetricFamily(
            "mpesa_store_commands",
            "Store commands this process sent, by command name and collection (STORE_COMMAND_METRICS).",
            labels=["command", "collection"],
        )
        for (command, collection), count in sorted(self._counter.counts.items()):
            commands.add_metric([command, collection], count)
        yield commands
        scraping = CounterMetricFamily(
            "mpesa_store_scrape_commands", "Store commands sent to read the gauges of /metrics (not counted above)."
        )
        scraping.add_metric([], self._counter.while_scraping)
        yield scraping


def _endpoint(endpoint: str) -> str:
    return endpoint if endpoint in ENDPOINTS else "other"
