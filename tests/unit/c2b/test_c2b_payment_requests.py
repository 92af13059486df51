import asyncio
from datetime import timedelta

import pytest

from domain.c2b.confirmation import C2bTransaction, PaymentMatch
from domain.c2b.payer import Payer, PayerForm
from domain.c2b.payment_request import RequestStatus
from domain.c2b.topic import c2b_topic
from domain.c2b.use_cases.catch_up_open_requests import CatchUpOpenRequests
from domain.c2b.use_cases.confirm_payment import ConfirmPayment
from domain.c2b.use_cases.create_payment_request import CreatePaymentRequest, CreatePaymentRequestCommand
from domain.c2b.use_cases.expire_payment_requests import ExpirePaymentRequests
from domain.c2b.use_cases.validate_payment import ValidatePayment
from domain.c2b.validation import ValidationCode, ValidationRule
from domain.events.event import events_of
from domain.shared.errors import ValidationError
from tests.support.factories import C2B_SHORTCODE, C2B_TRANS_ID, c2b_transaction
from tests.unit.c2b_fakes import FakeC2bPayments, FakePaymentRequests
from tests.unit.fakes import FakeBroadcaster, FixedClock, SequentialIdentifiers


@pytest.fixture
def requests() -> FakePaymentRequests:
    return FakePaymentRequests()


@pytest.fixture
def c2b_payments() -> FakeC2bPayments:
    return FakeC2bPayments()


@pytest.fixture
def confirm(
    requests: FakePaymentRequests, c2b_payments: FakeC2bPayments, broadcaster: FakeBroadcaster, clock: FixedClock
) -> ConfirmPayment:
    return ConfirmPayment(requests, c2b_payments, broadcaster, clock)


_identifiers = SequentialIdentifiers()


async def create(
    requests: FakePaymentRequests,
    clock: FixedClock,
    rule: str = "exact",
    amount: int | None = 100,
    ref: str = "INV-42",
    broadcaster: FakeBroadcaster | None = None,
) -> str:
    use_case = CreatePaymentRequest(requests, broadcaster or FakeBroadcaster(), _identifiers, clock)
    cmd = CreatePaymentRequestCommand("hash-1", ref, rule, clock.now() + timedelta(hours=1), amount, {"order": 7})
    return (await use_case(cmd)).id


def paid(amount: int, trans_id: str = C2B_TRANS_ID, ref: str = "inv-42 ") -> C2bTransaction:
    """Paid for INV-42 as a customer types it: in lower case, with a space after it."""
    return c2b_transaction(amount, trans_id, ref)


async def test_partial_payments_are_summed_until_the_exact_amount_is_paid(
    requests: FakePaymentRequests, confirm: ConfirmPayment, clock: FixedClock, broadcaster: FakeBroadcaster
) -> None:
    request_id = await create(requests, clock)

    await confirm(paid(40, "RKL51ZDR4A"))
    halfway = requests.get(request_id)
    await confirm(paid(60, "RKL51ZDR4B"))

    assert (halfway.status, halfway.received, halfway.outstanding) == (RequestStatus.OPEN, 40, 60)
    done = requests.get(request_id)
    assert (done.status, done.received) == (RequestStatus.PAID, 100)
    assert [
        (topic, frame["kind"], frame.get("status", frame.get("trans_id"))) for topic, frame in broadcaster.published
    ] == [
        (c2b_topic("hash-1"), "c2b_payment", "RKL51ZDR4A"),
        (c2b_topic("hash-1"), "c2b_request", "open"),
        (c2b_topic("hash-1"), "c2b_payment", "RKL51ZDR4B"),
        (c2b_topic("hash-1"), "c2b_request", "paid"),
    ]


async def test_a_new_request_is_shown_on_its_subject_at_once(requests: FakePaymentRequests, clock: FixedClock) -> None:
    broadcaster = FakeBroadcaster()

    request_id = await create(requests, clock, broadcaster=broadcaster)

    [(topic, shown)] = broadcaster.published
    assert topic == c2b_topic("hash-1")
    assert (shown["kind"], shown["id"], shown["status"], shown["outstanding"]) == (
        "c2b_request",
        request_id,
        "open",
        100,
    )


async def test_more_than_an_exact_amount_is_overpaid_but_a_minimum_is_paid(
    requests: FakePaymentRequests, confirm: ConfirmPayment, clock: FixedClock
) -> None:
    exact = await create(requests, clock, ref="A1")
    minimum = await create(requests, clock, rule="minimum", ref="A2")
    open_amount = await create(requests, clock, rule="open", amount=None, ref="A3")

    await confirm(paid(150, "TX00000001", "a1"))
    await confirm(paid(150, "TX00000002", "a2"))
    await confirm(paid(7, "TX00000003", "a3"))

    assert requests.get(exact).status is RequestStatus.OVERPAID
    assert requests.get(minimum).status is RequestStatus.PAID
    assert requests.get(open_amount).status is RequestStatus.PAID


async def test_a_confirmation_sent_twice_counts_once(
    requests: FakePaymentRequests, confirm: ConfirmPayment, clock: FixedClock, c2b_payments: FakeC2bPayments
) -> None:
    request_id = await create(requests, clock)

    first = await confirm(paid(40))
    again = await confirm(paid(40))

    assert (first.new, again.new) == (True, False)
    assert requests.get(request_id).received == 40
    assert list(c2b_payments.by_id) == ["RKL51ZDR4F"]


async def test_a_repeat_finishes_counting_a_payment_whose_first_delivery_died_before_the_request_was_saved(
    requests: FakePaymentRequests, confirm: ConfirmPayment, clock: FixedClock, c2b_payments: FakeC2bPayments
) -> None:
    request_id = await create(requests, clock)
    first = await confirm(paid(100))
    c2b_payments.by_id[first.payment.trans_id].match = PaymentMatch.APPLIED
    # As if the process died after the insert: the request never counted it.
    lost = requests.get(request_id)
    lost.confirmations.clear()
    lost.status = RequestStatus.OPEN
    requests._by_id[request_id] = lost

    again = await confirm(paid(100))

    assert again.new is False
    assert requests.get(request_id).status is RequestStatus.PAID


async def test_a_payment_nobody_expects_is_kept_unmatched(
    confirm: ConfirmPayment, c2b_payments: FakeC2bPayments, broadcaster: FakeBroadcaster
) -> None:
    outcome = await confirm(paid(500, ref="NOSUCH"))

    assert outcome.payment.match is PaymentMatch.UNKNOWN_REFERENCE
    assert c2b_payments.by_id["RKL51ZDR4F"].transaction.amount == 500
    assert broadcaster.published == []


async def test_a_payment_to_a_paid_request_is_kept_unmatched_and_the_request_stays_paid(
    requests: FakePaymentRequests, confirm: ConfirmPayment, clock: FixedClock, broadcaster: FakeBroadcaster
) -> None:
    request_id = await create(requests, clock)
    await confirm(paid(100, "TX00000001"))

    broadcaster.published.clear()

    late = await confirm(paid(100, "TX00000002"))

    assert late.payment.match is PaymentMatch.REQUEST_CLOSED
    assert late.payment.request_id == request_id
    assert (requests.get(request_id).status, requests.get(request_id).received) == (RequestStatus.PAID, 100)
    # The request's screen still hears of the money, so the merchant can refund or book it.
    [(_, shown)] = broadcaster.published
    assert (shown["kind"], shown["trans_id"], shown["match"]) == ("c2b_payment", "TX00000002", "request_closed")


async def test_only_a_final_state_becomes_an_event_once_with_the_request_as_it_then_stood(
    requests: FakePaymentRequests, confirm: ConfirmPayment, clock: FixedClock
) -> None:
    settled = await create(requests, clock, ref="A1")
    closed = await create(requests, clock, ref="A2")
    await confirm(paid(40, "TX00000001", "a1"))
    halfway = requests.get(settled)
    await confirm(paid(60, "TX00000002", "a1"))
    await confirm(paid(10, "TX00000003", "a2"))
    clock.advance(seconds=2 * 3600)
    await ExpirePaymentRequests(requests, FakeBroadcaster(), clock)()

    request = requests.get(settled)
    events = events_of("c2b.request", request.id, request.history, request.view())
    expired = requests.get(closed)
    assert halfway.history == []
    assert [e.type for e in events] == ["c2b.request.paid"]
    assert events[0].data == {key: value for key, value in request.view().items() if key != "version"}
    assert [e.type for e in events_of("c2b.request", closed, expired.history, {})] == ["c2b.request.underpaid"]


async def test_every_stored_payment_is_one_received_event_matched_or_not(
    requests: FakePaymentRequests, confirm: ConfirmPayment, clock: FixedClock
) -> None:
    await create(requests, clock)

    applied = await confirm(paid(100, "TX00000001"))
    unknown = await confirm(paid(100, "TX00000002", "NOSUCH"))

    for outcome in (applied, unknown):
        payment = outcome.payment
        [event] = events_of("c2b.payment", payment.trans_id, payment.history, payment.view())
        assert (event.type, event.data["trans_id"], event.created) == (
            "c2b.payment.received",
            payment.trans_id,
            clock.now(),
        )
    assert unknown.payment.view()["match"] == "unknown_reference"


async def test_a_screen_connecting_is_sent_the_open_requests_of_its_subject_only_newest_first_and_at_most_the_cap(
    requests: FakePaymentRequests, confirm: ConfirmPayment, clock: FixedClock
) -> None:
    first = await create(requests, clock, ref="A1")
    clock.advance(seconds=1)
    second = await create(requests, clock, ref="A2")
    await create(requests, clock, ref="A3")
    await confirm(paid(100, "TX00000001", "a3"))  # paid: nothing left to show
    sent: list[dict[str, object]] = []

    async def send(data: dict[str, object]) -> None:
        sent.append(data)

    caught_up = await CatchUpOpenRequests(requests, 10, clock)("hash-1", send)
    capped = await CatchUpOpenRequests(requests, 1, clock)("hash-1", send)
    elsewhere = await CatchUpOpenRequests(requests, 10, clock)("hash-2", send)

    assert [data["id"] for data in sent] == [second, first, second]
    assert (caught_up.updates, caught_up.complete) == (2, True)
    assert (capped.updates, capped.complete) == (1, False)
    assert elsewhere.updates == 0


async def test_a_screen_resuming_after_its_cursor_is_sent_every_request_changed_since_closed_ones_too(
    requests: FakePaymentRequests, confirm: ConfirmPayment, clock: FixedClock
) -> None:
    unchanged = await create(requests, clock, ref="B1")
    paid_while_away = await create(requests, clock, ref="B2")
    sent: list[dict[str, object]] = []

    async def send(data: dict[str, object]) -> None:
        sent.append(data)

    catch_up = CatchUpOpenRequests(requests, 10, clock)
    clock.advance(seconds=10)  # past the first cursor's margin: what changed before it was sent as open requests
    first = await catch_up("hash-1", send)
    clock.advance(seconds=30)
    await confirm(paid(100, "TX00000009", "b2"))  # the screen is away
    created_while_away = await create(requests, clock, ref="B3")
    sent.clear()
    resumed = await catch_up("hash-1", send, first.cursor)
    again = await catch_up("hash-1", send, resumed.cursor)

    assert [(data["id"], data["status"]) for data in sent] == [(paid_while_away, "paid"), (created_while_away, "open")]
    assert unchanged not in [data["id"] for data in sent]
    assert (resumed.updates, resumed.complete, again.updates) == (2, True, 0)


async def test_expiry_closes_a_request_as_expired_or_underpaid(
    requests: FakePaymentRequests, confirm: ConfirmPayment, clock: FixedClock, broadcaster: FakeBroadcaster
) -> None:
    untouched = await create(requests, clock, ref="A1")
    partly = await create(requests, clock, ref="A2")
    await confirm(paid(30, ref="A2"))
    expire = ExpirePaymentRequests(requests, broadcaster, clock)

    clock.advance(hours=1, seconds=30)
    before_grace = await expire()
    clock.advance(minutes=5)
    closed = await expire()

    assert before_grace == []
    assert {r.id: r.status for r in closed} == {untouched: RequestStatus.EXPIRED, partly: RequestStatus.UNDERPAID}
    assert (await confirm(paid(70, "TX00000009", "A2"))).payment.match is PaymentMatch.REQUEST_CLOSED


async def test_an_open_request_holds_its_reference_but_a_closed_one_frees_it(
    requests: FakePaymentRequests, confirm: ConfirmPayment, clock: FixedClock
) -> None:
    await create(requests, clock)
    with pytest.raises(ValidationError) as taken:
        await create(requests, clock, ref="inv-42")
    await confirm(paid(100))

    again = await create(requests, clock, ref="inv-42")

    assert taken.value.field == "account_reference"
    assert requests.get(again).status is RequestStatus.OPEN


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rule": "exact", "amount": None}, "amount"),
        ({"rule": "open", "amount": 5}, "amount"),
        ({"rule": "most", "amount": 5}, "amount_rule"),
        ({"ref": "bad ref!"}, "account_reference"),
        ({"ref": "X" * 21}, "account_reference"),
        ({"amount": 0}, "amount"),
    ],
)
async def test_a_bad_request_is_refused_and_nothing_is_stored(
    requests: FakePaymentRequests, clock: FixedClock, change: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        await create(requests, clock, **change)  # type: ignore[arg-type]

    assert refused.value.field == field
    assert await requests.due_to_expire(clock.now() + timedelta(days=365), 10) == []


async def test_an_expiry_in_the_past_is_refused(requests: FakePaymentRequests, clock: FixedClock) -> None:
    use_case = CreatePaymentRequest(requests, FakeBroadcaster(), SequentialIdentifiers(), clock)

    with pytest.raises(ValidationError) as refused:
        await use_case(CreatePaymentRequestCommand("h", "A1", "open", clock.now() - timedelta(seconds=1)))

    assert refused.value.field == "expires_at"


@pytest.mark.parametrize(
    ("rule", "ref", "amount", "code"),
    [
        (ValidationRule.ACCEPT_ALL, "nosuch", 1, ValidationCode.ACCEPTED),
        (ValidationRule.KNOWN_REFERENCES, "inv-42", 1, ValidationCode.ACCEPTED),
        (ValidationRule.KNOWN_REFERENCES, "nosuch", 100, ValidationCode.INVALID_ACCOUNT_NUMBER),
        (ValidationRule.EXACT_AMOUNT, "INV-42", 100, ValidationCode.ACCEPTED),
        (ValidationRule.EXACT_AMOUNT, "INV-42", 99, ValidationCode.INVALID_AMOUNT),
        (ValidationRule.EXACT_AMOUNT, "nosuch", 100, ValidationCode.INVALID_ACCOUNT_NUMBER),
    ],
)
async def test_validation_follows_the_merchant_rule(
    requests: FakePaymentRequests,
    clock: FixedClock,
    rule: ValidationRule,
    ref: str,
    amount: int,
    code: ValidationCode,
) -> None:
    await create(requests, clock)

    decision = await ValidatePayment(requests, clock, rule)(paid(amount, "", ref))

    assert decision.code is code
    assert decision.result_desc == ("Accepted" if code is ValidationCode.ACCEPTED else "Rejected")


async def test_validation_refuses_an_expired_request_and_another_shortcode(
    requests: FakePaymentRequests, clock: FixedClock
) -> None:
    await create(requests, clock)
    validate = ValidatePayment(requests, clock, ValidationRule.KNOWN_REFERENCES, shortcodes=frozenset({C2B_SHORTCODE}))
    other_shortcode = c2b_transaction(100, "", shortcode="174379", payer=Payer("254708374149"))

    refused_shortcode = await validate(other_shortcode)
    clock.advance(hours=1)
    refused_expired = await validate(paid(100, ""))

    assert refused_shortcode.code is ValidationCode.INVALID_SHORTCODE
    assert refused_expired.code is ValidationCode.INVALID_ACCOUNT_NUMBER


@pytest.mark.parametrize(("default_accepts", "code"), [(True, ValidationCode.ACCEPTED), (False, "C2B00016")])
async def test_a_store_that_does_not_answer_in_time_leaves_the_decision_to_the_default(
    requests: FakePaymentRequests, clock: FixedClock, default_accepts: bool, code: str
) -> None:
    await create(requests, clock)
    requests.answers_only_when(asyncio.Event())
    validate = ValidatePayment(
        requests,
        clock,
        ValidationRule.KNOWN_REFERENCES,
        default_accepts=default_accepts,
        answer_within=timedelta(milliseconds=20),
    )

    decision = await validate(paid(100, ""))

    assert decision.code == code
    assert decision.by_default is True


@pytest.mark.parametrize(
    ("msisdn", "form", "masked", "number", "may_be"),
    [
        ("254708374149", PayerForm.PLAIN, "2547*****149", "254708374149", True),
        ("2547 ***** 126", PayerForm.MASKED, "2547 ***** 126", "254712345126", True),
        ("25470****149", PayerForm.MASKED, "25470****149", "254711111149", False),
        (
            "8556a495c390f3ba95d2bdf6d06436f2fd09f516531f0a7cd9591c60812fa46d",
            PayerForm.SHA256,
            "sha256:8556a495…",
            "254722000000",
            True,
        ),
    ],
)
def test_the_payer_is_kept_as_sent_masked_in_logs_and_matched_to_a_known_number(
    msisdn: str, form: PayerForm, masked: str, number: str, may_be: bool
) -> None:
    payer = Payer(msisdn)

    assert (payer.form, payer.masked, payer.may_be(number)) == (form, masked, may_be)
