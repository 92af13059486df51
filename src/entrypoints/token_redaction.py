"""Capability tokens travel in socket paths, and uvicorn logs paths: this filter takes them out of every stdlib line.
A JWT keeps its header (algorithm and key id, nothing secret), a v1 token its key id."""

import logging
import re

_V1_TOKEN = re.compile(r"v1\.([A-Za-z0-9_-]{1,32})\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_JWT = re.compile(r"(eyJ[A-Za-z0-9_-]*)\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def redact_tokens(text: str) -> str:
    return _JWT.sub(r"\1.<redacted>", _V1_TOKEN.sub(r"v1.\1.<redacted>", text))


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_tokens(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True
