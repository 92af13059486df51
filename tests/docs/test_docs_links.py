"""Every relative link in the README and in docs/ leads to a file or folder of the repository, and a link to a
section of a Markdown page leads to a heading that page has."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The manual, and the other Markdown files a reader opens from it.
PAGES = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").rglob("*.md")),
    ROOT / "SECURITY.md",
    ROOT / "deploy" / "README.md",
    ROOT / "bench" / "README.md",
]
# Pages the manual announces that work in progress writes: a link to one may dangle until the page lands.
ANNOUNCED: set[str] = set()

_FENCED = re.compile(r"^```.*?^```", flags=re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", flags=re.IGNORECASE)
_HEADING = re.compile(r"^#{1,6} (.+)$", flags=re.MULTILINE)


def relative_links(page: Path) -> list[str]:
    text = _INLINE_CODE.sub("", _FENCED.sub("", page.read_text()))
    return [target for target in _LINK.findall(text) if not _EXTERNAL.match(target)]


def anchors(page: Path) -> set[str]:
    """The fragment each heading of the page gets, as GitHub makes them."""
    text = _FENCED.sub("", page.read_text())
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in _HEADING.findall(text)}


def test_the_manual_has_pages_with_links() -> None:
    assert len(PAGES) > 10
    assert sum(len(relative_links(page)) for page in PAGES) > 30


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_resolves_inside_the_repository(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        path, _, fragment = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.is_relative_to(ROOT):
            broken.append(target)
        elif not resolved.exists():
            if str(resolved.relative_to(ROOT)) not in ANNOUNCED:
                broken.append(target)
        elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            broken.append(target)

    assert broken == [], f"{page.relative_to(ROOT)} links to what the repository does not hold: {broken}"


def test_no_page_points_outside_the_repository() -> None:
    outside = re.compile(r"DARAJA(?:-C2B)?\.md §|\.\./shared|/work/|\bthe seed's\b|the issue's", flags=re.IGNORECASE)
    for page in PAGES:
        assert outside.findall(page.read_text()) == [], page.relative_to(ROOT)


_CODE_PATH = re.compile(r"`((?:src|tests|bench|migrations|deploy|examples|docs)/[\w./-]*)`")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_path_a_page_names_in_code_exists(page: Path) -> None:
    """A file moved or renamed takes the pages that name it along (the capability map in docs/architecture.md
    names files of every layer)."""
    missing = [path for path in _CODE_PATH.findall(page.read_text()) if not (ROOT / path.rstrip("/")).exists()]
    assert missing == []
