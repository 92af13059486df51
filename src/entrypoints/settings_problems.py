"""Why the settings were refused, every problem at once: each bad setting named with its accepted form.

Pydantic checks each field on its own, and the checks of settings together only once every field is valid; so when
fields are bad, the settings are read again with those fields at their defaults, to find the other problems too.
"""

from collections.abc import Callable

import pydantic
from pydantic_core import ErrorDetails

from entrypoints.secret_files import SECRET_SETTINGS, collected_secret_file_problems
from entrypoints.settings import PROBLEM_SEPARATOR, Settings
from entrypoints.settings_doc import accepted_form

_PYDANTIC_PREFIX = "Value error, "


def settings_or_refusal(read: Callable[..., Settings] = Settings) -> Settings | str:
    """The settings, or one line (one problem) or a short block (several) saying every problem."""
    try:
        return read()
    except pydantic.ValidationError:
        pass
    # Read again with the NAME_FILE problems set aside, so that they are said together with all the others.
    with collected_secret_file_problems() as file_problems:
        try:
            read()
            problems = []
        except pydantic.ValidationError as error:
            problems = _problems(error, read)
    problems = [*file_problems, *problems]
    if len(problems) == 1:
        return f"bad configuration: {problems[0]}"
    return f"bad configuration, {len(problems)} problems:\n" + "\n".join(f"  - {problem}" for problem in problems)


def _problems(error: pydantic.ValidationError, read: Callable[..., Settings]) -> list[str]:
    issues = error.errors()
    bad_fields = [str(issue["loc"][0]) for issue in issues if issue["loc"]]
    problems = [_field_problem(issue) for issue in issues if issue["loc"]]
    problems += [problem for issue in issues if not issue["loc"] for problem in _together(issue)]
    if bad_fields:
        defaults = {name: Settings.model_fields[name].default for name in bad_fields if name in Settings.model_fields}
        try:
            read(**defaults)
        except pydantic.ValidationError as again:
            problems += [problem for issue in again.errors() if not issue["loc"] for problem in _together(issue)]
    return problems


def _field_problem(issue: ErrorDetails) -> str:
    name = str(issue["loc"][0])
    given = issue.get("input")
    shown = name.upper() if name in SECRET_SETTINGS or not isinstance(given, str) else f"{name.upper()}={given}"
    message = issue["msg"].removeprefix(_PYDANTIC_PREFIX)
    if name not in Settings.model_fields:
        return f"{shown}: {message}"
    return f"{shown}: {message}; accepted: {accepted_form(name)}"


def _together(issue: ErrorDetails) -> list[str]:
    return issue["msg"].removeprefix(_PYDANTIC_PREFIX).split(PROBLEM_SEPARATOR)
