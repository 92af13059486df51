"""docs/webhooks-and-events.md shows the signature-verification snippets exactly as the files the tests run."""

from pathlib import Path

from domain.events.types import EVENT_TYPES

ROOT = Path(__file__).parents[2]
WEBHOOKS_PAGE = (ROOT / "docs" / "webhooks-and-events.md").read_text()
SNIPPETS = ROOT / "examples" / "webhooks"


def test_the_python_snippet_in_the_manual_is_the_tested_file() -> None:
    assert f"```python\n{(SNIPPETS / 'verify_signature.py').read_text()}```\n" in WEBHOOKS_PAGE


def test_the_node_snippet_in_the_manual_is_the_tested_file() -> None:
    assert f"```javascript\n{(SNIPPETS / 'verify_signature.mjs').read_text()}```\n" in WEBHOOKS_PAGE


def test_every_event_type_is_in_the_manual() -> None:
    for event_type in EVENT_TYPES:
        assert f"`{event_type}`" in WEBHOOKS_PAGE, event_type
