"""Balance checks and their Results with fakes that record state: what is stored, and when `balance.low` is noted."""

import copy
from decimal import Decimal

import pytest

from domain.balances.account_balance import parse_balance_string
from domain.balances.account_state import AccountState
from domain.balances.balance_check import (
    BalanceCheck,
    BalanceQueryAccepted,
    BalanceQueryRequest,
    BalanceResult,
    CheckStatus,
    CheckTrigger,
)
from domain.balances.use_cases.check_balance import CheckBalance
from domain.balances.use_cases.handle_balance_result import BalanceResultOutcome, HandleBalanceResult
from domain.shared.errors import (
    ConcurrentUpdateError,
    ProviderRejectedError,
    UnknownCallbackTokenError,
    ValidationError,
)
from entrypoints.http.daraja_balance_body import parse_balance_result
from tests.unit.fakes import FixedClock, SequentialIdentifiers

THRESHOLD = Decimal("10000")


class FakeChecks:
    def __init__(self) -> None:
        self.stored: dict[str, BalanceCheck] = {}

    async def add(self, check: BalanceCheck) -> None:
        self.stored[check.callback_token] = copy.deepcopy(check)

    async def save(self, check: BalanceCheck) -> None:
        if self.stored[check.callback_token].version != check.version:
            raise ConcurrentUpdateError("changed")
        check.version += 1
        self.stored[check.callback_token] = copy.deepcopy(check)

    async def by_token(self, token: str) -> BalanceCheck | None:
        return copy.deepcopy(self.stored.get(token))

    async def latest(self) -> BalanceCheck | None:
        return max(self.stored.values(), key=lambda check: check.requested_at, default=None)


class FakeStates:
    def __init__(self) -> None:
        self.stored: dict[str, AccountState] = {}

    async def all(self) -> list[AccountState]:
        return list(self.stored.values())

    async def one(self, name: str) -> AccountState | None:
        return copy.deepcopy(self.stored.get(name))

    async def add(self, state: AccountState) -> None:
        if state.name in self.stored:
            raise ConcurrentUpdateError("taken")
        self.stored[state.name] = copy.deepcopy(state)

    async def save(self, state: AccountState) -> None:
        if self.stored[state.name].version != state.version:
            raise ConcurrentUpdateError("changed")
        state.version += 1
        self.stored[state.name] = copy.deepcopy(state)


class FakeProvider:
    def __init__(self, refuse: bool = False) -> None:
        self.requests: list[BalanceQueryRequest] = []
        self._refuse = refuse

    async def request_account_balance(self, request: BalanceQueryRequest) -> BalanceQueryAccepted:
        self.requests.append(request)
        if self._refuse:
            raise ProviderRejectedError("400.002.02", "Bad Request - Invalid PartyA")
        return BalanceQueryAccepted("AG_20250314_0001", "515-5258779-3")


def result(utility: str, code: str = "0") -> BalanceResult:
    text = f"Working Account|KES|700.00|700.00|0.00|0.00&Utility Account|KES|{utility}|{utility}|0.00|0.00"
    return BalanceResult(
        code, "done", "515-5258779-3", "AG_20250314_0001", parse_balance_string(text), "20250314122653"
    )


@pytest.fixture
def world() -> tuple[FakeChecks, FakeStates, FixedClock, CheckBalance, HandleBalanceResult]:
    checks, states, clock = FakeChecks(), FakeStates(), FixedClock()
    check = CheckBalance(checks, FakeProvider(), clock, SequentialIdentifiers())
    return checks, states, clock, check, HandleBalanceResult(checks, states, clock, THRESHOLD)


async def test_a_result_stores_every_account_and_notes_the_low_crossing_once(world) -> None:  # type: ignore[no-untyped-def]
    _, states, clock, check_balance, handle = world
    outcomes = []
    for utility in ("5000.00", "4000.00", "3000.00"):
        check = await check_balance(CheckTrigger.SCHEDULE)
        clock.advance(seconds=5)
        outcomes.append(await handle(check.callback_token, result(utility)))
        clock.advance(minutes=60)

    utility_state = states.stored["Utility Account"]
    assert outcomes == [BalanceResultOutcome.STORED] * 3
    assert utility_state.balance.available == Decimal("3000.00")
    assert [change.status for change in utility_state.history] == ["low"]
    assert states.stored["Working Account"].history == []


async def test_a_recovery_and_a_new_fall_are_each_one_crossing(world) -> None:  # type: ignore[no-untyped-def]
    _, states, clock, check_balance, handle = world
    for utility in ("5000.00", "50000.00", "60000.00", "9999.99"):
        check = await check_balance(CheckTrigger.SCHEDULE)
        clock.advance(seconds=5)
        await handle(check.callback_token, result(utility))

    assert [change.status for change in states.stored["Utility Account"].history] == ["low", "recovered", "low"]


async def test_a_duplicate_result_changes_nothing(world) -> None:  # type: ignore[no-untyped-def]
    _, states, _, check_balance, handle = world
    check = await check_balance(CheckTrigger.OPERATOR)
    await handle(check.callback_token, result("5000.00"))
    stored = copy.deepcopy(states.stored)

    again = await handle(check.callback_token, result("1.00"))

    assert again is BalanceResultOutcome.DUPLICATE
    assert states.stored == stored


async def test_an_older_checks_late_answer_never_replaces_a_newer_reading(world) -> None:  # type: ignore[no-untyped-def]
    _, states, clock, check_balance, handle = world
    older = await check_balance(CheckTrigger.SCHEDULE)
    clock.advance(minutes=1)
    newer = await check_balance(CheckTrigger.OPERATOR)

    await handle(newer.callback_token, result("20000.00"))
    await handle(older.callback_token, result("100.00"))

    assert states.stored["Utility Account"].balance.available == Decimal("20000.00")
    assert states.stored["Utility Account"].history == []


async def test_an_unknown_token_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    _, states, _, _, handle = world

    with pytest.raises(UnknownCallbackTokenError):
        await handle("no-such-secret", result("1.00"))
    assert states.stored == {}


async def test_a_failure_result_stores_no_balance(world) -> None:  # type: ignore[no-untyped-def]
    checks, states, _, check_balance, handle = world
    check = await check_balance(CheckTrigger.OPERATOR)

    outcome = await handle(check.callback_token, BalanceResult("2001", "invalid", None, None, (), None))

    assert outcome is BalanceResultOutcome.FAILED
    assert checks.stored[check.callback_token].status is CheckStatus.FAILED
    assert states.stored == {}


async def test_a_refused_query_is_stored_failed_with_darajas_code() -> None:
    checks = FakeChecks()
    check = await CheckBalance(checks, FakeProvider(refuse=True), FixedClock(), SequentialIdentifiers())(
        CheckTrigger.OPERATOR
    )

    assert check.status is CheckStatus.FAILED and check.result_code == "400.002.02"
    assert checks.stored[check.callback_token].status is CheckStatus.FAILED


@pytest.mark.parametrize(
    "body",
    [
        # Safaricom's sample: codes as strings, BOCompletedTime as text, ReferenceItem an object.
        b'{"Result":{"ResultType":"0","ResultCode":"0","ResultDesc":"ok","OriginatorConversationID":"1-2-3",'
        b'"ConversationID":"AG_1","TransactionID":"OA90000000","ResultParameters":{"ResultParameter":['
        b'{"Key":"AccountBalance","Value":"Utility Account|KES|228037.00|228037.00|0.00|0.00"},'
        b'{"Key":"BOCompletedTime","Value":"20200109125710"}]},'
        b'"ReferenceData":{"ReferenceItem":{"Key":"QueueTimeoutURL","Value":"https://x"}}}}',
        # Numbers for the codes and BOCompletedTime, as an SDK's copy has them.
        b'{"Result":{"ResultType":0,"ResultCode":0,"ResultDesc":"ok","ResultParameters":{"ResultParameter":['
        b'{"Key":"AccountBalance","Value":"Utility Account|KES|228037.00|228037.00|0.00|0.00"},'
        b'{"Key":"BOCompletedTime","Value":20200109125710}]}}}',
    ],
)
def test_the_result_body_is_read_in_each_published_form(body: bytes) -> None:
    read = parse_balance_result(body)

    assert read.succeeded and read.completed_at == "20200109125710"
    assert [account.available for account in read.accounts] == [Decimal("228037.00")]


def test_a_failure_body_with_a_single_parameter_object_is_read() -> None:
    read = parse_balance_result(
        b'{"Result":{"ResultType":0,"ResultCode":2001,"ResultDesc":"The initiator information is invalid.",'
        b'"ResultParameters":{"ResultParameter":{"Key":"BOCompletedTime","Value":20200120164825}}}}'
    )

    assert read.result_code == "2001" and read.accounts == () and read.completed_at == "20200120164825"


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'{"Result":{}}',
        b'{"Result":{"ResultCode":"0","ResultParameters":{"ResultParameter":[{"Key":"AccountBalance","Value":"junk"}]}}}',
    ],
)
def test_a_malformed_result_body_is_refused(body: bytes) -> None:
    with pytest.raises(ValidationError):
        parse_balance_result(body)
