"""Move the flat domain modules into capability packages, on any checkout: `python move_modules.py <dir>`.

git mv for every module and use case of mapping.json; the one-port modules of a capability are merged into its
ports.py (one import block, then each module's body as it was, in mapping order). Re-running it changes nothing:
a module already moved is skipped. Run rewrite_imports.py afterwards to rewrite the imports.
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

PACKAGE_DOCS = {
    "shared": "What every capability shares: value objects, the error catalogue, status changes, cursors, ports.",
    "stk": "STK push (Lipa na M-PESA Online): payments the gateway prompts for, their callbacks and their queries.",
    "b2c": "B2C: withdrawals paid to a customer's phone, their results and their Transaction Status queries.",
    "callbacks": "Daraja's callbacks as received: the journal, what each one did, and the anomalies worth a look.",
    "events": "The event log: what happened to each record, the outbox that feeds it and the live broadcast.",
    "webhooks": "Webhook endpoints the merchant registers and the signed deliveries of events to them.",
    "access": "API keys and capability tokens: who may call the gateway and what for.",
    "records": "Listing and finding payments and withdrawals, catching sockets up on them, and the stuck-record watch.",
}
SHARED_PORTS_DOC = (
    '"""The outside world every capability may ask of: time, identifiers, randomness, leases, limits, health."""\n'
)
PORTS_DOC = '"""What the {cap} use cases need from the outside, in the domain\'s words."""\n'


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True)


def path_of(root: Path, module: str) -> Path:
    return root / "src" / Path(*module.split(".")).with_suffix(".py")


def merged_ports(cap: str, sources: list[Path]) -> str:
    """One module from several: the union of their import blocks, then each one's body after its imports."""
    plain: dict[str, None] = {}
    froms: dict[str, dict[str, None]] = {}
    bodies: list[str] = []
    for source in sources:
        text = source.read_text()
        tree = ast.parse(text)
        lines = text.splitlines(keepends=True)
        body_start = 0
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    plain[f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")] = None
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0 and node.module, source
                names = froms.setdefault(node.module, {})
                for alias in node.names:
                    names[alias.name + (f" as {alias.asname}" if alias.asname else "")] = None
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node is tree.body[0]:
                raise SystemExit(f"{source}: a module docstring; merge it by hand")
            else:
                decorators = getattr(node, "decorator_list", None)
                body_start = (decorators[0].lineno if decorators else node.lineno) - 1
                break
            body_start = node.end_lineno or 0
        bodies.append("".join(lines[body_start:]).strip("\n") + "\n")
    doc = SHARED_PORTS_DOC if cap == "shared" else PORTS_DOC.format(cap=cap.upper() if len(cap) == 3 else cap)
    header = [doc]
    imports = sorted(plain) + [f"from {module} import {', '.join(sorted(names))}" for module, names in froms.items()]
    header.append("\n" + "\n".join(imports) + "\n")
    return "".join(header) + "\n\n" + "\n\n".join(bodies)


def move_record_kind(root: Path) -> None:
    """RecordKind moves from the stuck-records port to records/listing.py: merged into records/ports.py, which imports
    records.listing (RecordSearch), it would make an import cycle, for listing.py imports RecordKind."""
    ports = root / "src/domain/records/ports.py"
    listing = root / "src/domain/records/listing.py"
    text = ports.read_text()
    if "class RecordKind(" not in text:
        return
    lines = text.splitlines(keepends=True)
    node = next(n for n in ast.parse(text).body if isinstance(n, ast.ClassDef) and n.name == "RecordKind")
    block = "".join(lines[node.lineno - 1 : node.end_lineno])
    rest = lines[: node.lineno - 1] + lines[node.end_lineno or 0 :]
    text = "".join(rest).replace("\n\n\n\n\n", "\n\n\n")
    text = text.replace("from enum import StrEnum\n", "")
    text = text.replace(
        "from domain.record_listing import ListedRecord, PagePosition, RecordFilter",
        "from domain.record_listing import ListedRecord, PagePosition, RecordFilter, RecordKind",
    )
    ports.write_text(text)
    listing_text = listing.read_text()
    listing_text = listing_text.replace("from domain.ports.stuck_records import RecordKind\n", "")
    listing_text = listing_text.replace(
        "from datetime import UTC, datetime\n", "from datetime import UTC, datetime\nfrom enum import StrEnum\n"
    )
    first = next(n for n in ast.parse(listing_text).body if not isinstance(n, ast.Import | ast.ImportFrom | ast.Expr))
    listing_lines = listing_text.splitlines(keepends=True)
    at = first.lineno - 1
    listing.write_text("".join(listing_lines[:at]) + "\n" + block + "\n\n" + "".join(listing_lines[at:]))
    git(root, "add", str(ports), str(listing))


def main(root: Path) -> None:
    mapping = json.loads((HERE / "mapping.json").read_text())
    modules: dict[str, str] = mapping["modules"]
    ports: dict[str, list[Path]] = {}
    for old, new in modules.items():
        source, target = path_of(root, old), path_of(root, new)
        if old.startswith("domain.ports."):
            if source.exists():
                ports.setdefault(new, []).append(source)
            continue
        if not source.exists():
            continue
        for package in list(target.relative_to(root / "src" / "domain").parents)[:-1][::-1]:
            init = root / "src" / "domain" / package / "__init__.py"
            if not init.exists():
                init.parent.mkdir(parents=True, exist_ok=True)
                doc = PACKAGE_DOCS.get(package.name) if package.parent == Path(".") else None
                init.write_text(f'"""{doc}"""\n' if doc else "")
                git(root, "add", str(init))
        git(root, "mv", str(source), str(target))
    for new, sources in ports.items():
        target = path_of(root, new)
        cap = new.split(".")[1]
        if target.exists():
            names = ", ".join(str(source.relative_to(root)) for source in sources)
            print(f"{target.relative_to(root)} exists already: merge {names} into it by hand", file=sys.stderr)
            continue
        text = merged_ports(cap, sources)
        # The first source becomes the merged module (git keeps its history); the others are removed.
        git(root, "mv", str(sources[0]), str(target))
        target.write_text(text)
        for source in sources[1:]:
            git(root, "rm", "-q", str(source))
        git(root, "add", str(target))
    if (root / "src/domain/records/ports.py").exists() and (root / "src/domain/records/listing.py").exists():
        move_record_kind(root)
    for package in ("ports", "use_cases"):
        folder = root / "src" / "domain" / package
        init = folder / "__init__.py"
        left = [p.name for p in folder.glob("*.py") if p.name != "__init__.py"] if folder.exists() else []
        if left:
            print(f"not in mapping.json, left in place: {folder}: {left}", file=sys.stderr)
        elif init.exists():
            git(root, "rm", "-q", str(init))
    flat = [p.name for p in (root / "src" / "domain").glob("*.py") if p.name != "__init__.py"]
    if flat:
        print(f"not in mapping.json, left in place: src/domain/: {flat}", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve())
