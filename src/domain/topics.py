"""Topic names clients subscribe to; the listeners and the broadcaster must agree on them."""


def stk_topic(hash_: str) -> str:
    return f"/mpesa/{hash_}"


def b2c_topic(hash_: str) -> str:
    return f"/mpesa/b2c/{hash_}"
