"""What the balance use cases need from the outside, in the domain's words."""

from abc import abstractmethod
from decimal import Decimal
from typing import Protocol

from domain.balances.account_state import AccountState
from domain.balances.balance_check import BalanceCheck, BalanceQueryAccepted, BalanceQueryRequest


class BalanceProvider(Protocol):
    @abstractmethod
    async def request_account_balance(self, request: BalanceQueryRequest) -> BalanceQueryAccepted:
        """Ask M-PESA for the shortcode's balances; the answer arrives later at the URLs named by the request's
        `callback_token`. Raises ProviderRejectedError when M-PESA refuses, ProviderUnavailableError when it could
        not be asked (or its answer was lost: harmless, the next check asks again)."""


class BalanceChecks(Protocol):
    """Balance queries, by their secret callback token."""

    @abstractmethod
    async def add(self, check: BalanceCheck) -> None: ...

    @abstractmethod
    async def save(self, check: BalanceCheck) -> None:
        """Store the check if it is still at the version read (ConcurrentUpdateError otherwise)."""

    @abstractmethod
    async def by_token(self, token: str) -> BalanceCheck | None: ...

    @abstractmethod
    async def latest(self) -> BalanceCheck | None:
        """The most recently requested check, whatever became of it."""


class AccountStates(Protocol):
    """The latest balance of every account, one record per account name."""

    @abstractmethod
    async def all(self) -> list[AccountState]: ...

    @abstractmethod
    async def one(self, name: str) -> AccountState | None: ...

    @abstractmethod
    async def add(self, state: AccountState) -> None:
        """Store a first reading; ConcurrentUpdateError when another writer stored this account first."""

    @abstractmethod
    async def save(self, state: AccountState) -> None:
        """Store the state if it is still at the version read (ConcurrentUpdateError otherwise)."""


class KnownFunds(Protocol):
    """What the withdrawal worker may ask before it sends a payout."""

    @abstractmethod
    async def utility_available(self) -> Decimal | None:
        """The utility account's available balance as last reported, None when never reported."""
