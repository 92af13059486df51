"""The manual tells the truth: its tables are checked against the code they describe."""

import re
from pathlib import Path

from daraja_simulator.scenarios import markdown_table
from domain.shared.error_codes import ErrorCode
from entrypoints.protocol.errors import HTTP_STATUS
from entrypoints.settings import Settings
from tests.support.b2c_outcomes import B2C_GATEWAY_OUTCOMES
from tests.support.stk_outcomes import GATEWAY_OUTCOMES

DOCS = Path(__file__).parents[2] / "docs"
SIMULATOR_PAGE = (DOCS / "simulator.md").read_text()
# A capability with a page of its own (docs/c2b.md) documents its settings and error codes there.
MANUAL = "\n".join(page.read_text() for page in [DOCS.parent / "README.md", *sorted(DOCS.rglob("*.md"))])


def section(name: str) -> str:
    return SIMULATOR_PAGE.split(f"<!-- {name}:start")[1].split("-->", 1)[1].split(f"<!-- {name}:end -->")[0]


def test_the_scenario_table_is_the_simulators() -> None:
    assert section("scenarios").strip() == markdown_table().strip()


def test_every_stk_scenario_outcome_is_documented() -> None:
    rows = re.findall(r"^\| ([^|]+?) \| [^|]+ \| `(\w+)`", section("stk-outcomes"), flags=re.MULTILINE)

    assert {name: status for name, status in rows} == {name: status for name, (_, status) in GATEWAY_OUTCOMES.items()}


def test_every_b2c_scenario_outcome_is_documented() -> None:
    rows = re.findall(r"^\| ([^|]+?) \| `(\w+)`", section("b2c-outcomes"), flags=re.MULTILINE)

    assert dict(rows) == B2C_GATEWAY_OUTCOMES


def test_every_error_code_is_listed_with_its_http_status() -> None:
    for code in ErrorCode:
        assert f"| `{code.value}` | {HTTP_STATUS[code]} |" in MANUAL, code


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"`{name.upper()}`" in MANUAL, name
