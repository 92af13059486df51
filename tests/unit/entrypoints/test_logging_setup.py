"""Every log line is one JSON object, whatever its values, from structlog and from the standard library (uvicorn)."""

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum

import pytest
import structlog

from entrypoints.logging_setup import configure_logging


class Outcome(StrEnum):
    APPLIED = "applied"


class Opaque:
    def __repr__(self) -> str:
        return "<opaque thing>"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    output = io.StringIO()
    configure_logging("INFO", stream=output)
    yield output
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_structlog_line_is_a_json_object_with_its_level_and_time(stream: io.StringIO) -> None:
    structlog.get_logger().info(
        "stk_callback_applied",
        payment_id="c93e8572",
        amount=150,
        outcome=Outcome.APPLIED,
        at=datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC),
        detail=Opaque(),
        payer="Ámina Wanjirũ",
    )

    [line] = lines(stream)
    assert line["event"] == "stk_callback_applied"
    assert (line["payment_id"], line["amount"], line["outcome"]) == ("c93e8572", 150, "applied")
    assert line["at"] == "2025-03-14T09:26:53Z"
    assert (line["detail"], line["payer"]) == ("<opaque thing>", "Ámina Wanjirũ")
    assert line["level"] == "info"
    assert isinstance(line["timestamp"], str) and line["timestamp"].endswith("Z")


def test_an_exception_is_written_as_text_in_its_line(stream: io.StringIO) -> None:
    try:
        raise ValueError("the store said no")
    except ValueError:
        structlog.get_logger().exception("store_failed")

    [line] = lines(stream)
    assert line["event"] == "store_failed" and line["level"] == "error"
    assert isinstance(line["exception"], str) and "ValueError: the store said no" in line["exception"]


def test_a_standard_library_line_is_json_too_and_below_the_level_nothing_is_written(stream: io.StringIO) -> None:
    logging.getLogger("tests.stdlib_line").info("Started server process [%d]", 4242)
    structlog.get_logger().debug("not_written")

    [line] = lines(stream)
    assert line["event"] == "Started server process [4242]"
    assert line["level"] == "info"
