"""The topic a C2B socket subscribes to; listeners and the broadcaster must agree on it."""


def c2b_topic(subject: str) -> str:
    return f"/mpesa/c2b/{subject}"
