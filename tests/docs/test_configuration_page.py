"""docs/configuration.md is the settings code rendered: it names every setting and never drifts from it."""

import subprocess
from pathlib import Path

from entrypoints.settings import Settings
from entrypoints.settings_doc import REGENERATE, accepted_form, default_in_effect, render_markdown
from tests.support.processes import cli

PAGE = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_the_committed_page_is_the_generated_one() -> None:
    assert PAGE.read_text() == render_markdown(), f"docs/configuration.md is out of date: run `{REGENERATE}`"


def test_the_command_prints_the_page() -> None:
    printed = subprocess.run(cli("config", "--markdown"), capture_output=True, text=True, timeout=60, check=True)

    assert printed.stdout == render_markdown()


def test_every_setting_has_a_row_with_its_description() -> None:
    page = render_markdown()

    for name, field in Settings.model_fields.items():
        assert field.description, name
        assert f"| `{name.upper()}` |" in page
        assert field.description.replace("|", "\\|") in page


def test_a_setting_derived_from_mpesa_env_shows_each_environments_default() -> None:
    assert default_in_effect("client_auth") == "simulator: `open`; sandbox: `signed`; production: `signed`"
    assert default_in_effect("callback_source_check") == "simulator: `log`; sandbox: `log`; production: `enforce`"
    assert default_in_effect("app_port") == "`3000`"


def test_the_accepted_form_says_the_bounds_choices_and_secret_files() -> None:
    assert accepted_form("app_port") == "whole number, 1 to 65535"
    assert accepted_form("log_level") == "`DEBUG`, `INFO`, `WARNING` or `ERROR`"
    assert accepted_form("daraja_passkey") == "secret text; or `DARAJA_PASSKEY_FILE`, a file holding it"
