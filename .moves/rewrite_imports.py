"""Rewrite the old domain module paths to the capability packages: `python rewrite_imports.py <checkout>`.

Reads mapping.json (next to this file): old module -> new module, and, for `from domain.ports import A, B`, which new
module holds each port symbol. Idempotent: a rewritten file has no old path left, so a second run changes nothing.

What it rewrites, in src, tests, migrations, bench, docs, README.md, CONTRIBUTING.md, pyproject.toml:
- Python imports, found with `ast`: `from domain.x import A` (also the parenthesised multi-line form; only the module
  name is replaced, so comments and layout stay), `import domain.x [as y]`, `from domain.ports import A, B` (split
  by symbol into one statement per new module), `from domain.use_cases import x` / `from domain import x` (x a module);
- attribute chains such as `domain.x.f` left by `import domain.x`;
- dotted module paths in Python strings and comments (monkeypatch targets, ...), in .md and pyproject.toml;
- `src/domain/...py` file paths in .md files.
Then runs `ruff check --fix --select I` over the Python files it changed (the import blocks sorted and wrapped as the
repository's own ruff settings want). Reports old paths it could not map (a module another branch added) on stderr.
"""

import ast
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAPPING = json.loads((HERE / "mapping.json").read_text())
MODULES: dict[str, str] = MAPPING["modules"]
PORT_SYMBOLS: dict[str, str] = dict(MAPPING["port_symbols"])
# {old module: {symbol: new module}} for symbols that did not move with their module.
SYMBOL_HOMES: dict[str, dict[str, str]] = MAPPING.get("symbol_homes", {})
# Test modules moved into folders: tests/unit/test_x.py -> tests/unit/<capability>/test_x.py. Only the moves this
# checkout has made are applied (see configure_tests), so the test trees may be moved one at a time.
TEST_PATHS: dict[str, str] = dict(MAPPING.get("tests", {}))
DOTTED: dict[str, str] = dict(MODULES)
OLD_CONTAINERS = ("domain.ports", "domain.use_cases")
PYTHON_TREES = ("src", "tests", "migrations", "bench")
TEXT_TREES = ("docs", "deploy")
TOP_FILES = ("README.md", "CONTRIBUTING.md", "SECURITY.md", "pyproject.toml")

# Longest first, so domain.ports.x wins over any shorter key (set again by configure_tests).
_KEYS = sorted(DOTTED, key=len, reverse=True)
_DOTTED = re.compile(r"(?<![\w.])(" + "|".join(re.escape(k) for k in _KEYS) + r")(?![\w])")
# domain.ports.Symbol (the old package's re-export) in a string or doc.
_PORT_ATTR = re.compile(r"(?<![\w.])domain\.ports\.([A-Z]\w*)(?![\w])")
_PATHS = {"src/" + k.replace(".", "/") + ".py": "src/" + v.replace(".", "/") + ".py" for k, v in MODULES.items()}
_PATH = re.compile(r"(?<![\w/])(" + "|".join(re.escape(p) for p in sorted(_PATHS, key=len, reverse=True)) + r")")
# Test file paths are rewritten everywhere (docs, pyproject comments, Python strings and comments); src paths only in
# .md files (a src path in a Python string may be part of the served protocol, e.g. asyncapi's descriptions).
_TEST_PATH: re.Pattern[str] | None = None


def configure_tests(root: Path) -> None:
    """Apply a test move only where this checkout has made it: the new file exists and the old one does not."""
    global _KEYS, _DOTTED, _TEST_PATH
    for old, new in list(TEST_PATHS.items()):
        if not (root / new).exists() or (root / old).exists():
            del TEST_PATHS[old]
    for old, new in TEST_PATHS.items():
        DOTTED[old.removesuffix(".py").replace("/", ".")] = new.removesuffix(".py").replace("/", ".")
    _KEYS = sorted(DOTTED, key=len, reverse=True)
    _DOTTED = re.compile(r"(?<![\w.])(" + "|".join(re.escape(k) for k in _KEYS) + r")(?![\w])")
    if TEST_PATHS:
        paths = sorted(TEST_PATHS, key=len, reverse=True)
        _TEST_PATH = re.compile(r"(?<![\w/])(" + "|".join(re.escape(p) for p in paths) + r")")


# An old-style module path this mapping does not know (for the report).
_LEFTOVER = re.compile(r"(?<![\w.])domain\.(?:ports|use_cases)\.[a-z_]\w*")

warnings: list[str] = []


def learn_port_symbols(root: Path) -> None:
    """Symbols of port modules still present in this checkout (another branch may have added some)."""
    folder = root / "src" / "domain" / "ports"
    for path in sorted(folder.glob("*.py")) if folder.exists() else []:
        new = MODULES.get(f"domain.ports.{path.stem}")
        if new is None:
            continue
        for node in ast.parse(path.read_text()).body:
            names: list[str] = []
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = [node.target.id]
            for name in names:
                PORT_SYMBOLS.setdefault(name, new)


def new_module(old: str) -> str | None:
    """The new path of a module path, itself or a submodule/attribute under a mapped module."""
    if old in DOTTED:
        return DOTTED[old]
    for key in _KEYS:
        if old.startswith(key + "."):
            return DOTTED[key] + old[len(key) :]
    return None


def rewrite_text(text: str, where: str, paths: bool) -> str:
    text = _DOTTED.sub(lambda m: DOTTED[m.group(1)], text)
    if _TEST_PATH is not None:
        text = _TEST_PATH.sub(lambda m: TEST_PATHS[m.group(1)], text)

    def port_attr(m: re.Match[str]) -> str:
        module = PORT_SYMBOLS.get(m.group(1))
        if module is None:
            warnings.append(f"{where}: domain.ports.{m.group(1)}: no such port symbol in mapping.json")
            return m.group(0)
        return f"{module}.{m.group(1)}"

    text = _PORT_ATTR.sub(port_attr, text)
    if paths:
        text = _PATH.sub(lambda m: _PATHS[m.group(1)], text)
    for left in _LEFTOVER.findall(text):
        warnings.append(f"{where}: {left}: not in mapping.json")
    return text


def _offsets(source: bytes) -> list[int]:
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _alias(name: str, asname: str | None) -> str:
    return f"{name} as {asname}" if asname else name


def rewrite_python(text: str, where: str) -> str:
    source = text.encode()
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        warnings.append(f"{where}: not parsed ({error}); left as it is")
        return text
    starts = _offsets(source)

    def at(line: int, col: int) -> int:
        return starts[line - 1] + col

    edits: list[tuple[int, int, bytes]] = []
    groups: dict[str, list[str]]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            start, end = at(node.lineno, node.col_offset), at(node.end_lineno or node.lineno, node.end_col_offset or 0)
            module = node.module
            if module in SYMBOL_HOMES and any(a.name in SYMBOL_HOMES[module] for a in node.names):
                homes = SYMBOL_HOMES[module]
                if "#" in source[start:end].decode():
                    warnings.append(f"{where}:{node.lineno}: comments inside a split import were dropped")
                groups = {}
                for a in node.names:
                    home = homes.get(a.name) or new_module(module) or module
                    groups.setdefault(home, []).append(_alias(a.name, a.asname))
                edits.append((start, end, ("\n" + " " * node.col_offset).join(
                    f"from {m} import {', '.join(names)}" for m, names in groups.items()).encode()))
                continue
            if module == "domain.ports" or (
                module in ("domain", *OLD_CONTAINERS) and any(f"{module}.{a.name}" in MODULES for a in node.names)
            ):
                # Split by name: each symbol (or module) to where it now lives.
                groups = {}
                for a in node.names:
                    full = f"{module}.{a.name}"
                    if module == "domain.ports" and a.name in PORT_SYMBOLS:
                        groups.setdefault(PORT_SYMBOLS[a.name], []).append(_alias(a.name, a.asname))
                    elif full in MODULES:
                        parent, _, leaf = MODULES[full].rpartition(".")
                        asname = a.asname or (a.name if leaf != a.name else None)
                        groups.setdefault(parent, []).append(_alias(leaf, asname))
                    else:
                        if module in OLD_CONTAINERS:
                            warnings.append(f"{where}:{node.lineno}: {module}.{a.name}: not in mapping.json")
                        groups.setdefault(module, []).append(_alias(a.name, a.asname))
                segment = source[start:end].decode()
                if "#" in segment:
                    warnings.append(f"{where}:{node.lineno}: comments inside a split import were dropped")
                indent = " " * node.col_offset
                lines = [f"from {m} import {', '.join(names)}" for m, names in groups.items()]
                edits.append((start, end, ("\n" + indent).join(lines).encode()))
                continue
            target = new_module(module)
            if target:
                segment = source[start:end]
                match = re.match(rb"from\s+", segment)
                assert match and segment[match.end() :].startswith(module.encode()), (where, node.lineno)
                edits.append((start + match.end(), start + match.end() + len(module), target.encode()))
        elif isinstance(node, ast.Import):
            start, end = at(node.lineno, node.col_offset), at(node.end_lineno or node.lineno, node.end_col_offset or 0)
            names = []
            changed = False
            for a in node.names:
                target = new_module(a.name)
                if target and a.asname is None:
                    # `import domain.x` binds `domain`; the attribute chains below follow.
                    names.append(target)
                    changed = True
                elif target:
                    names.append(_alias(target, a.asname))
                    changed = True
                else:
                    names.append(_alias(a.name, a.asname))
            if changed:
                edits.append((start, end, ("import " + ", ".join(names)).encode()))
        elif isinstance(node, ast.Attribute):
            parts: list[str] = []
            inner: ast.expr = node
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id == "domain":
                dotted = ".".join(["domain", *reversed(parts)])
                if dotted in MODULES:  # only the exact module chain; its attributes are outer nodes
                    start = at(node.lineno, node.col_offset)
                    end = at(node.end_lineno or node.lineno, node.end_col_offset or 0)
                    if source[start:end].decode().replace(" ", "") == dotted:
                        edits.append((start, end, MODULES[dotted].encode()))
    # Outermost edits only (an Attribute chain inside an edited import is never both).
    edits.sort()
    kept: list[tuple[int, int, bytes]] = []
    for edit in edits:
        if kept and edit[0] < kept[-1][1]:
            continue
        kept.append(edit)
    for start, end, new in reversed(kept):
        source = source[:start] + new + source[end:]
    text = source.decode()
    # Then strings and comments: module paths in monkeypatch targets, docstrings, comments.
    out: list[str] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return text
    lines = text.splitlines(keepends=True)
    starts_c = [0]
    for line in lines:
        starts_c.append(starts_c[-1] + len(line))
    pieces: list[tuple[int, int, str]] = []
    for token in tokens:
        if token.type in (tokenize.STRING, tokenize.COMMENT) or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            new = rewrite_text(token.string, where, paths=False)
            if new != token.string:
                s = starts_c[token.start[0] - 1] + token.start[1]
                e = starts_c[token.end[0] - 1] + token.end[1]
                pieces.append((s, e, new))
    for s, e, new in reversed(pieces):
        text = text[:s] + new + text[e:]
    del out
    for left in _LEFTOVER.findall(text):
        warnings.append(f"{where}: {left}: not in mapping.json")
    return text


def files(root: Path) -> list[Path]:
    found: list[Path] = []
    for tree in PYTHON_TREES + TEXT_TREES:
        folder = root / tree
        if folder.exists():
            found += [
                p
                for p in folder.rglob("*")
                if p.suffix in (".py", ".md", ".toml") and p.is_file() and ".venv" not in p.parts
            ]
    found += [root / name for name in TOP_FILES if (root / name).exists()]
    return sorted(found)


def main(root: Path) -> int:
    learn_port_symbols(root)
    configure_tests(root)
    changed: list[Path] = []
    for path in files(root):
        text = path.read_text()
        where = str(path.relative_to(root))
        if path.suffix == ".py":
            new = rewrite_python(text, where)
        else:
            new = rewrite_text(text, where, paths=path.suffix == ".md")
        if new != text:
            path.write_text(new)
            changed.append(path)
    python = [str(p) for p in changed if p.suffix == ".py"]
    if python:
        # $RUFF, else the checkout's own ruff (its pinned version), else this tool's checkout's, else the one on PATH.
        found = [p for p in (root / ".venv/bin/ruff", HERE.parent / ".venv/bin/ruff") if p.exists()]
        ruff = os.environ.get("RUFF") or (str(found[0]) if found else shutil.which("ruff"))
        if ruff:
            subprocess.run([ruff, "check", "--fix", "--select", "I", "--quiet", *python], cwd=root, check=False)
        else:
            warnings.append("no ruff found (set RUFF=/path/to/ruff): run `ruff check --fix --select I` on the changes")
    for warning in dict.fromkeys(warnings):
        print("warning:", warning, file=sys.stderr)
    print(f"{len(changed)} files rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()))
