"""The repository refers only to what a reader of it can open: no private Daraja notes, no sibling folders."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[2]
# Spelled in two parts so that this file does not find itself.
OUTSIDE_REFERENCES = ("DARAJA" + ".md", "../" + "shared")
# The issue tracker is outside the repository too: a page says what it means instead of "see issue 15".
_ISSUE_NUMBER = re.compile(r"\bissue\s*#?\d+", re.IGNORECASE)
_CITATION = re.compile(r"docs/daraja\.md#([a-z0-9-]+)")


def tracked_and_new_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    paths = [ROOT / name for name in listed.split("\0") if name]
    return [path for path in paths if path.is_file() and not path.parts[len(ROOT.parts)].startswith((".git", ".venv"))]


def test_the_file_list_covers_the_code_and_the_docs() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in tracked_and_new_files()}
    assert {"docs/daraja.md", "src/adapters/daraja/stk_client.py", "README.md"} <= names


def test_no_file_refers_to_material_outside_the_repository() -> None:
    hits = []
    for path in tracked_and_new_files():
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            found = [reference for reference in OUTSIDE_REFERENCES if reference in line]
            if path.suffix == ".md":
                found.extend(_ISSUE_NUMBER.findall(line))
            hits.extend(f"{path.relative_to(ROOT)}:{number}: {reference}" for reference in found)
    assert hits == []


def test_every_daraja_section_the_code_cites_exists() -> None:
    page = (ROOT / "docs" / "daraja.md").read_text()
    anchors = {_anchor(line.lstrip("#").strip()) for line in page.splitlines() if line.startswith("#")}
    cited = set()
    for path in tracked_and_new_files():
        if path.suffix not in {".py", ".md", ".js"}:
            continue
        cited.update(_CITATION.findall(path.read_text()))
    assert cited, "no file cites a section of docs/daraja.md"
    assert cited - anchors == set()


def _anchor(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    kept = "".join(character for character in heading.lower() if character.isalnum() or character in " -_")
    return kept.replace(" ", "-")
