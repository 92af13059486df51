"""What the callbacks use cases need from the outside, in the domain's words."""

from abc import abstractmethod
from typing import Protocol

from domain.callbacks.anomaly import Anomaly, AnomalyKind
from domain.callbacks.received_callback import CallbackDigest, ReceivedCallback
from domain.callbacks.trail import TrailEntry


class CallbackJournal(Protocol):
    """Every callback as received, append-only: entries are added, never changed or removed."""

    @abstractmethod
    def new_id(self) -> str:
        """A fresh journal id, made without the store: a callback's id is known before its entry is written."""

    @abstractmethod
    async def record(self, callback: ReceivedCallback, journal_id: str | None = None) -> str:
        """Append the callback (under `journal_id`, or a new id) and return its journal id; StoreUnavailableError
        when the store cannot be reached."""

    @abstractmethod
    async def record_digest(self, digest: CallbackDigest, journal_id: str) -> str:
        """Append a callback's digest, without its body or headers, under `journal_id`; StoreUnavailableError as
        `record`."""


class Anomalies(Protocol):
    """Callbacks that were acknowledged or refused without being applied, for an operator to look into."""

    @abstractmethod
    async def record(self, anomaly: Anomaly) -> None:
        """Keep the anomaly; StoreUnavailableError when the store cannot be reached."""

    @abstractmethod
    async def recent(self, limit: int, kind: AnomalyKind | None = None) -> list[Anomaly]:
        """Up to `limit` anomalies (of `kind`, if given), newest first."""


class CallbackTrail(Protocol):
    """Every callback stored for one record (STK payment or B2C withdrawal), wherever it is kept."""

    @abstractmethod
    async def of_record(self, record_id: str) -> list[TrailEntry] | None:
        """The callbacks that came to the URLs of the payment or withdrawal `record_id`, in arrival order; None when
        there is no such record. StoreUnavailableError when the store cannot be reached."""
