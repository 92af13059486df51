"""Daraja's balance string (docs/balances.md#the-balance-string): accounts separated by `&`, each account's fields by
`|`: name, currency, then up to four amounts: current (book), available, reserved, uncleared.

Real strings vary: the Account Balance result carries five or more accounts with six fields each, a Reversal's
`DebitAccountBalance` carries one, a B2B `DebitPartyCharges` only three fields (name|currency|amount), and empty
amounts, stray spaces, a trailing `&` or a blank string all occur. The parser keys accounts by name, never by
position, keeps cents exactly (Decimal, never float), takes negative amounts as they are (Charges Paid Account),
and skips a chunk it cannot read rather than inventing a figure for it.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

UTILITY_ACCOUNT = "Utility Account"
_ZERO = Decimal("0.00")
_CENTS = Decimal("0.01")
_MOST_ACCOUNTS = 32
_LONGEST_NAME = 64


@dataclass(frozen=True, slots=True)
class AccountBalance:
    """One account of the shortcode as Daraja reported it. With only one amount given, it is the available one too."""

    name: str
    currency: str
    current: Decimal
    available: Decimal
    reserved: Decimal = _ZERO
    uncleared: Decimal = _ZERO

    def view(self) -> dict[str, Any]:
        return {
            "account": self.name,
            "currency": self.currency,
            "current": str(self.current),
            "available": str(self.available),
            "reserved": str(self.reserved),
            "uncleared": str(self.uncleared),
        }


def parse_balance_string(text: object) -> tuple[AccountBalance, ...]:
    """Every readable account of `text`, in the order given; the last wins when a name repeats. Anything that is
    not a string, or holds no readable account, gives an empty tuple."""
    if not isinstance(text, str):
        return ()
    accounts: dict[str, AccountBalance] = {}
    for chunk in text.split("&")[: _MOST_ACCOUNTS * 2]:
        account = _account(chunk)
        if account is not None:
            accounts.pop(account.name, None)
            accounts[account.name] = account
    return tuple(accounts.values())[:_MOST_ACCOUNTS]


def _account(chunk: str) -> AccountBalance | None:
    fields = [part.strip() for part in chunk.split("|")]
    if len(fields) < 3:
        return None
    name, currency = fields[0], fields[1].upper()
    if not name or len(name) > _LONGEST_NAME or not currency.isalpha() or len(currency) != 3:
        return None
    amounts: list[Decimal] = []
    for raw in fields[2:6]:
        amount = _amount(raw)
        if amount is None:
            return None
        amounts.append(amount)
    if all(not raw for raw in fields[2:6]):
        return None  # a name and a currency but no figure at all: nothing to report
    current = amounts[0]
    available = amounts[1] if len(amounts) > 1 else current
    reserved = amounts[2] if len(amounts) > 2 else _ZERO
    uncleared = amounts[3] if len(amounts) > 3 else _ZERO
    return AccountBalance(name, currency, current, available, reserved, uncleared)


def _amount(raw: str) -> Decimal | None:
    if not raw:
        return _ZERO
    try:
        amount = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return None
    if not amount.is_finite() or abs(amount) >= Decimal(10) ** 15:
        return None
    return amount.quantize(_CENTS)
