"""Topic names clients subscribe to; the listeners and the broadcaster must agree on them."""

from domain.event_types import B2C, STK


def stk_topic(hash_: str) -> str:
    return f"/mpesa/{hash_}"


def b2c_topic(hash_: str) -> str:
    return f"/mpesa/b2c/{hash_}"


def record_kind_of(topic: str) -> str | None:
    """The kind of record (event_types) whose change is published on `topic`; None for a topic of no such kind."""
    match topic.split("/"):
        case ["", "mpesa", "b2c", _]:
            return B2C
        case ["", "mpesa", _]:
            return STK
    return None
