"""Where Daraja is told to post an answer: the configured base URL with the record's own secret as its last segment."""


def callback_url(base_url: str, callback_token: str) -> str:
    return f"{base_url.rstrip('/')}/{callback_token}"
