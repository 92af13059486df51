from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.idempotency import STK_SCOPE, keyed_request
from domain.shared.phone import Phone

PHONE, AMOUNT, DESCRIPTION = Phone("254712345678"), Amount(100), Description("Order 42")


def test_no_key_means_no_keyed_request() -> None:
    assert keyed_request(STK_SCOPE, "h1", None, "push", PHONE, AMOUNT, DESCRIPTION) is None


def test_the_same_request_has_the_same_fingerprint() -> None:
    first = keyed_request(STK_SCOPE, "h1", "k", "push", PHONE, AMOUNT, DESCRIPTION)

    again = keyed_request(STK_SCOPE, "h1", "k", "push", Phone.parse("+254 712 345 678"), AMOUNT, DESCRIPTION)

    assert first == again


def test_each_part_of_the_request_changes_the_fingerprint() -> None:
    def fingerprint(kind: str, phone: Phone, amount: Amount, description: Description) -> str:
        keyed = keyed_request(STK_SCOPE, "h1", "k", kind, phone, amount, description)
        assert keyed is not None
        return keyed.fingerprint

    variants = [
        fingerprint("push", PHONE, AMOUNT, DESCRIPTION),
        fingerprint("withdraw", PHONE, AMOUNT, DESCRIPTION),
        fingerprint("push", Phone("254712345679"), AMOUNT, DESCRIPTION),
        fingerprint("push", PHONE, Amount(1000), DESCRIPTION),
        fingerprint("push", PHONE, AMOUNT, Description("Order 4")),
        # Parts are kept apart, so text cannot slide from one part into the next.
        fingerprint("push", PHONE, Amount(10), Description("0 Order 42")),
    ]

    assert len(set(variants)) == len(variants)
