"""CONTRIBUTING.md and the pre-commit hooks stay true: the hooks run exactly `make lint`'s gates, and every path the
guide names exists."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]


def make_lint_commands() -> list[str]:
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe is not None, "the Makefile has no lint target"
    return [line.strip().replace("$(BIN)/", ".venv/bin/") for line in recipe.group(1).splitlines()]


def test_the_pre_commit_hooks_run_the_same_gates_as_make_lint() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]

    assert [repo["repo"] for repo in config["repos"]] == ["local"]  # nothing fetched from elsewhere
    assert [hook["entry"] for hook in hooks] == make_lint_commands()
    assert {hook["language"] for hook in hooks} == {"system"}
    assert all(hook["pass_filenames"] is False for hook in hooks)  # the whole tree, as make lint checks it


def test_every_path_the_guide_names_exists() -> None:
    guide = (ROOT / "CONTRIBUTING.md").read_text()
    named = set(re.findall(r"`((?:src|tests|migrations|docs|bench)/[\w./-]*?)(?:::\w+)?`", guide))
    named |= set(re.findall(r"\]\(((?!https?:)[\w./-]+)\)", guide))
    missing = sorted(path for path in named if not (ROOT / path.split("#")[0]).exists())

    assert len(named) > 20
    assert missing == []
