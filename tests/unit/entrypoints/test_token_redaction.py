"""Socket paths reach uvicorn's log lines: the secret parts of both token formats never do."""

from datetime import UTC, datetime, timedelta

from domain.access.capability import STK, Capability
from domain.access.capability_token import TokenKeys, mint_token, mint_v1_token
from entrypoints.token_redaction import redact_tokens

KEYS = TokenKeys.parse("k1:" + "s" * 32)
GRANTED = Capability("user123", frozenset({STK}), datetime.now(UTC) + timedelta(hours=1))


def test_a_jwt_in_a_log_line_keeps_only_its_header() -> None:
    token = mint_token(KEYS, GRANTED)
    header, claims, signature = token.split(".")

    line = redact_tokens(f'127.0.0.1:5000 - "WebSocket /mpesa/stk/{token}" [accepted]')

    assert line == f'127.0.0.1:5000 - "WebSocket /mpesa/stk/{header}.<redacted>" [accepted]'
    assert claims not in line and signature not in line


def test_a_v1_token_in_a_log_line_keeps_only_its_key_id() -> None:
    token = mint_v1_token(KEYS, GRANTED)

    assert redact_tokens(f"GET /mpesa/b2c/{token}?since=x") == "GET /mpesa/b2c/v1.k1.<redacted>?since=x"


def test_a_plain_subject_is_left_as_it_is() -> None:
    assert redact_tokens("GET /mpesa/stk/user123 and eyJ alone") == "GET /mpesa/stk/user123 and eyJ alone"
