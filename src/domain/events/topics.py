"""Topic names clients subscribe to; the listeners and the broadcaster must agree on them."""

from domain.events.types import B2C, C2B_PAYMENT, C2B_REQUEST, STK


def stk_topic(subject: str) -> str:
    return f"/mpesa/{subject}"


def b2c_topic(subject: str) -> str:
    return f"/mpesa/b2c/{subject}"


def record_kinds_of(topic: str) -> frozenset[str] | None:
    """The kinds of record (event_types) whose changes are published on `topic`; None for a topic of no known kind."""
    match topic.split("/"):
        case ["", "mpesa", "b2c", _]:
            return _B2C
        case ["", "mpesa", "c2b", _]:
            return _C2B  # a C2B payment or the payment request it settled
        case ["", "mpesa", _]:
            return _STK
    return None


_STK, _B2C, _C2B = frozenset({STK}), frozenset({B2C}), frozenset({C2B_PAYMENT, C2B_REQUEST})
