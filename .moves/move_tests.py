"""Move test files into folders by capability or adapter.

`python move_tests.py <checkout> [unit|integration|e2e]`:

git mv for each file of mapping.json's "tests" (only those under tests/<tree>/ when a tree is named); each new folder
gets an empty __init__.py. A file moved one folder deeper that finds files by `Path(__file__)` is told so on stderr
(its parent count needs one more). Re-running it changes nothing. Run rewrite_imports.py afterwards: it rewrites
`tests.unit.test_x` imports and `tests/unit/test_x.py` mentions.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_DEPTH = re.compile(r"Path\(__file__\)(?:\.resolve\(\))?(\.parent(?:\.parent)*|\.parents\[\d\])")


def main(root: Path, tree: str | None) -> None:
    moves: dict[str, str] = json.loads((HERE / "mapping.json").read_text())["tests"]
    for old, new in moves.items():
        if tree and not old.startswith(f"tests/{tree}/"):
            continue
        source, target = root / old, root / new
        if not source.exists():
            continue
        init = target.parent / "__init__.py"
        if not init.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            init.write_text("")
            subprocess.run(["git", "-C", str(root), "add", str(init)], check=True)
        subprocess.run(["git", "-C", str(root), "mv", str(source), str(target)], check=True)
        if _DEPTH.search(target.read_text()):
            print(f"{new}: finds files from Path(__file__): one folder deeper now", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve(), sys.argv[2] if len(sys.argv) > 2 else None)
