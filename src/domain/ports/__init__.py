"""What the use-cases need from the outside world, named in the domain's words."""

from domain.ports.anomalies import Anomalies
from domain.ports.api_keys import ApiKeys
from domain.ports.broadcaster import Broadcaster
from domain.ports.callback_journal import CallbackJournal
from domain.ports.clock import Clock
from domain.ports.daily_allowance import DailyAllowance
from domain.ports.idempotency_keys import IdempotencyClaim, IdempotencyKeys
from domain.ports.identifiers import Identifiers
from domain.ports.key_material import KeyMaterial
from domain.ports.payment_provider import PaymentProvider
from domain.ports.payment_repository import PaymentRepository
from domain.ports.payout_provider import PayoutProvider
from domain.ports.random_source import RandomSource
from domain.ports.rate_limiter import RateLimiter
from domain.ports.record_counts import RecordCounts
from domain.ports.store_health import StoreHealth
from domain.ports.stuck_records import RecordKind, StuckRecord, StuckRecords
from domain.ports.withdrawal_repository import WithdrawalRepository

__all__ = [
    "Anomalies",
    "ApiKeys",
    "Broadcaster",
    "CallbackJournal",
    "Clock",
    "DailyAllowance",
    "IdempotencyClaim",
    "IdempotencyKeys",
    "Identifiers",
    "KeyMaterial",
    "PaymentProvider",
    "PaymentRepository",
    "PayoutProvider",
    "RandomSource",
    "RateLimiter",
    "RecordCounts",
    "RecordKind",
    "StoreHealth",
    "StuckRecord",
    "StuckRecords",
    "WithdrawalRepository",
]
