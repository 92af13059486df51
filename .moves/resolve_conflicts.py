"""After `git merge` of a branch written against the old domain paths: settle the conflicts that are only imports.

`python resolve_conflicts.py <checkout>`, in the middle of the merge. A conflict hunk whose two sides are both only
import lines (and blank lines and comments) is one the moves made: this side rewrote the old paths, the other side
changed which names it imports. The other side's lines are kept; rewrite_imports.py, run next, gives them the new
paths (and the new homes of moved names). A file whose every hunk is settled is `git add`ed. Whatever else conflicts
is listed for a person, with, for a one-port module the moves deleted, the command that shows the other side's edit.
Then: `python rewrite_imports.py <checkout>`, the gates, `git commit`.
"""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_IMPORTISH = re.compile(
    r"^\s*(?:$|#.*|from\s+[\w.]+\s+import\b.*|import\s+[\w.]+.*|\)\s*(?:#.*)?|[A-Za-z_]\w*(?:\s+as\s+\w+)?,?\s*(?:#.*)?)$"
)


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


def settle(text: str) -> tuple[str, int, int]:
    """The text with its import-only hunks settled, the number settled and the number left."""
    out: list[str] = []
    lines = text.splitlines(keepends=True)
    settled = left = 0
    i = 0
    while i < len(lines):
        if not lines[i].startswith("<<<<<<< "):
            out.append(lines[i])
            i += 1
            continue
        ours: list[str] = []
        base: list[str] = []
        theirs: list[str] = []
        part = ours
        start = i
        i += 1
        while i < len(lines) and not lines[i].startswith(">>>>>>> "):
            if lines[i].startswith("||||||| "):
                part = base
            elif lines[i].rstrip("\n") == "=======":
                part = theirs
            else:
                part.append(lines[i])
            i += 1
        end = i
        i += 1
        if all(_IMPORTISH.match(line.rstrip("\n")) for line in ours + theirs) and any(
            line.strip() for line in ours + theirs
        ):
            out.extend(theirs)
            settled += 1
        else:
            out.extend(lines[start : end + 1])
            left += 1
    return "".join(out), settled, left


def leading_imports(text: str) -> tuple[int, int] | None:
    """The lines [start, end) of a module's first run of top-level imports, or None."""
    try:
        body = ast.parse(text).body
    except SyntaxError:
        return None
    nodes = [n for n in body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    run: list[ast.stmt] = []
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            run.append(node)
        elif run:
            break
        else:
            return None
    if not run:
        return None
    return run[0].lineno - 1, run[-1].end_lineno or run[-1].lineno


def with_their_imports(merged: str, theirs: str) -> str:
    """The merged module with its leading import block replaced by the other side's whole block.

    Taking the other side only inside the conflict hunks is not enough: this side's rewrite also deleted and
    re-sorted import lines outside them, and those changes merged cleanly. The other side's block, rewritten by
    rewrite_imports.py, is this side's rewrite plus the other side's changes."""
    ours_block, their_block = leading_imports(merged), leading_imports(theirs)
    if ours_block is None or their_block is None:
        return merged
    lines, their_lines = merged.splitlines(keepends=True), theirs.splitlines(keepends=True)
    return "".join(lines[: ours_block[0]] + their_lines[their_block[0] : their_block[1]] + lines[ours_block[1] :])


def main(root: Path) -> int:
    modules: dict[str, str] = json.loads((HERE / "mapping.json").read_text())["modules"]
    status = git(root, "status", "--porcelain=v1", "-z").split("\0")
    unmerged = [(entry[:2], entry[3:]) for entry in status if entry[:2] in ("UU", "AA", "DU", "UD", "AU", "UA")]
    people: list[str] = []
    for code, name in unmerged:
        path = root / name
        if code == "UU" and path.suffix == ".py":
            text, settled, left = settle(path.read_text())
            if left == 0:
                text = with_their_imports(text, git(root, "show", f":3:{name}"))
            path.write_text(text)
            if left == 0:
                git(root, "add", name)
                print(f"settled {name} ({settled} import hunks)")
                continue
            people.append(f"{name}: {left} hunks beyond imports ({settled} import hunks settled)")
        elif code == "UD":
            # Deleted on the other side; this side only rewrote its imports (or moved it): the deletion stands.
            git(root, "rm", "-q", name)
            print(f"settled {name} (deleted on the other side)")
        elif code == "DU":
            old = name.removeprefix("src/").removesuffix(".py").replace("/", ".")
            target = modules.get(old)
            where = f" into {'src/' + target.replace('.', '/') + '.py'}" if target else ""
            people.append(
                f"{name}: deleted by the moves, edited on the other side: apply"
                f" `git diff $(git merge-base HEAD MERGE_HEAD) MERGE_HEAD -- {name}`{where}, then `git rm {name}`"
            )
        else:
            people.append(f"{name}: {code}")
    for line in people:
        print("for a person:", line)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()))
