"""Medians across runs, ratios to the baseline of the same run, targets, and the JSON and Markdown written."""

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.measure import spread

README = Path(__file__).resolve().parent / "README.md"
PERFORMANCE_PAGE = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
COMMANDS_START, COMMANDS_END = "<!-- commands:start -->", "<!-- commands:end -->"
# (key in the run's "commands", label, target, the bound the figure must not exceed)
COMMAND_FIGURES = (
    ("push_to_success", "STK push → success callback → final `update`", "≤ 5", 5.0),
    ("withdrawal_to_success", "B2C withdrawal → Result → final `update`", "≤ 7", 7.0),
    ("status", "`status` of a stored payment", "1", 1.0),
    ("socket_open", "socket open (its catch-up), and close", "≤ 1", 1.0),
    ("c2b_confirmation", "C2B confirmation → counted on its payment request", "≤ 3", 3.0),
)
# Gateway CPU per operation (issue 15, item 5): push and callback together make "push → success".
CPU_TARGETS = {"push_to_success": "≤ 2.2 ms (push 1.2 + callback 1.0)", "status": "≤ 0.3 ms"}
IDLE_TARGET = 1.0
TABLE_START, TABLE_END = "<!-- latest:start -->", "<!-- latest:end -->"
STORE_START, STORE_END = "<!-- store-baseline:start -->", "<!-- store-baseline:end -->"
TARGETS = ("gateway", "baseline")

Getter = Callable[[dict[str, Any], str], float | None]


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    get: Getter
    unit: str = ""
    digits: int = 0
    target: str = ""
    # Whether the gateway meets the target, given the summary of this figure (gateway and ratio medians).
    met: Callable[[dict[str, Any]], bool] | None = None


def _dig(run: dict[str, Any], *path: str | int) -> Any:
    value: Any = run
    for part in path:
        if value is None:
            return None
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _at(*path: str) -> Getter:
    """The value at `path` inside a phase, the target's name inserted after the phase."""
    return lambda run, target: _dig(run, path[0], target, *path[1:])


def _gateway_at_least(bound: float) -> Callable[[dict[str, Any]], bool]:
    return lambda summary: (summary["gateway"]["median"] or 0) >= bound


def _gateway_at_most(bound: float) -> Callable[[dict[str, Any]], bool]:
    return lambda summary: summary["gateway"]["median"] is not None and summary["gateway"]["median"] <= bound


def _cpu_ms_per(*path: str, rate: str = "rate") -> Getter:
    """The target's CPU during a timed window ÷ the operations it did per second there, in ms per operation
    (process CPU time from /proc: robust on a shared machine, unlike wall time)."""

    def get(run: dict[str, Any], target: str) -> float | None:
        window = _dig(run, path[0], target, *path[1:])
        cores, done = _dig(window, "cpu_cores", target), _dig(window, rate)
        if cores is None or not done:
            return None
        return float(cores) * 1000 / float(done)

    return get


def _ratio_at_least(bound: float) -> Callable[[dict[str, Any]], bool]:
    return lambda summary: (summary["ratio"]["median"] or 0) >= bound


def baseline_label(plan: dict[str, Any]) -> str:
    return "store-backed baseline" if plan.get("baseline") == "store" else "bare baseline"


def figures(plan: dict[str, Any]) -> list[Figure]:
    # Against the store-backed baseline the throughput targets are ratios (issue 15, item 6): ≥ 0.5 of it.
    against_store = plan.get("baseline") == "store"
    listed = [
        Figure(
            "held.sockets",
            "Idle WSS sockets held, `status` p95 ≤ 100 ms",
            _at("held", "held"),
            target="≥ 10,000",
            met=_gateway_at_least(10_000),
        ),
        Figure(
            "held.rss_per_socket",
            "RSS per held socket",
            _at("held", "rss_per_socket_kib"),
            "KiB",
            1,
            "≤ 48 KiB",
            _gateway_at_most(48),
        ),
        Figure("held.probe_p95", "`status` p95 with those sockets held", _at("held", "probe_at_held", "p95"), "ms", 1),
        Figure(
            "status.rate",
            f"`status` round trips/s, {plan['status_sockets']} sockets",
            _at("status", "rate"),
            "/s",
            target="≥ 50% of baseline",
            met=lambda s: (s["ratio"]["median"] or 0) >= 0.5,
        ),
        Figure("status.p50", "`status` p50", _at("status", "latency_ms", "p50"), "ms", 1),
        Figure("status.p99", "`status` p99", _at("status", "latency_ms", "p99"), "ms", 1),
        Figure("status.max", "`status` max", _at("status", "latency_ms", "max"), "ms", 1),
        Figure(
            "status.cpu_ms",
            "… CPU per `status` (process CPU ÷ answers)",
            _cpu_ms_per("status"),
            "ms",
            2,
            "≤ 0.3 ms",
            _gateway_at_most(0.3),
        ),
    ]
    for phase, label in (
        ("push", f"WSS `push` ({plan['push_sockets']} sockets)"),
        ("http_push", f"POST /api/v1/mpesa/stk/push ({plan['http_connections']} connections)"),
    ):
        listed += [
            Figure(
                f"{phase}.saturation.rate",
                f"{label}: acknowledged/s at saturation",
                _at(phase, "saturation", "rate"),
                "/s",
                target="≥ 50% of baseline" if against_store else "≥ 1,000/s",
                met=_ratio_at_least(0.5) if against_store else _gateway_at_least(1000),
            ),
            Figure(
                f"{phase}.saturation.p50", "… p50 at saturation", _at(phase, "saturation", "latency_ms", "p50"), "ms", 1
            ),
            Figure(
                f"{phase}.saturation.p99", "… p99 at saturation", _at(phase, "saturation", "latency_ms", "p99"), "ms", 1
            ),
            Figure(
                f"{phase}.saturation.max", "… max at saturation", _at(phase, "saturation", "latency_ms", "max"), "ms", 1
            ),
            Figure(
                f"{phase}.saturation.cpu_ms",
                "… CPU per push at saturation (process CPU ÷ acknowledged)",
                _cpu_ms_per(phase, "saturation"),
                "ms",
                2,
                "≤ 1.2 ms",
                _gateway_at_most(1.2),
            ),
            Figure(
                f"{phase}.paced.offered",
                f"… paced at {int(plan['paced_fraction'] * 100)}% of the gateway's saturation: offered/s",
                _at(phase, "paced", "offered_rate"),
                "/s",
            ),
            Figure(f"{phase}.paced.rate", "… paced: acknowledged/s", _at(phase, "paced", "rate"), "/s"),
            Figure(f"{phase}.paced.p50", "… paced p50", _at(phase, "paced", "latency_ms", "p50"), "ms", 1),
            Figure(
                f"{phase}.paced.p99",
                "… paced p99",
                _at(phase, "paced", "latency_ms", "p99"),
                "ms",
                1,
                "≤ 50 ms",
                _gateway_at_most(50),
            ),
            Figure(f"{phase}.paced.max", "… paced max", _at(phase, "paced", "latency_ms", "max"), "ms", 1),
        ]
    for rate in plan["callback_rates"]:
        level = ("callbacks", "levels", str(rate))
        is_target = rate == 500
        listed += [
            Figure(
                f"callbacks.{rate}.p50",
                f"Callback → client `update` at {rate}/s: p50",
                _at(*level, "latency_ms", "p50"),
                "ms",
                1,
            ),
            Figure(
                f"callbacks.{rate}.p99",
                f"… at {rate}/s: p99",
                _at(*level, "latency_ms", "p99"),
                "ms",
                1,
                "≤ 20 ms" if is_target else "",
                _gateway_at_most(20) if is_target else None,
            ),
            Figure(f"callbacks.{rate}.max", f"… at {rate}/s: max", _at(*level, "latency_ms", "max"), "ms", 1),
            Figure(
                f"callbacks.{rate}.cpu_ms",
                f"… at {rate}/s: CPU per callback (process CPU ÷ updates arrived)",
                _cpu_ms_per(*level, rate="achieved_rate"),
                "ms",
                2,
                "≤ 1.0 ms",
                _gateway_at_most(1.0),
            ),
            Figure(
                f"callbacks.{rate}.achieved",
                f"… at {rate}/s: rate achieved",
                _at(*level, "achieved_rate"),
                "/s",
                target="≥ 50% of baseline" if against_store and is_target else "",
                met=_ratio_at_least(0.5) if against_store and is_target else None,
            ),
            Figure(
                f"callbacks.{rate}.lost",
                f"… at {rate}/s: updates lost",
                _at(*level, "lost"),
                target="0",
                met=_gateway_at_most(0),
            ),
        ]
    if plan["ladder_rates"]:
        listed.append(
            Figure(
                "callbacks.highest",
                f"Highest sustained callback rate (none lost, p99 ≤ "
                f"{plan['sustained_p99_ms']:g} ms; ladder up to {max(plan['ladder_rates'])}/s)",
                _at("callbacks", "highest_sustained"),
                "/s",
            )
        )
    listed.append(
        Figure(
            "callbacks.lost",
            "Updates lost, all callback rates",
            _at("callbacks", "lost"),
            target="0",
            met=_gateway_at_most(0),
        )
    )
    return listed  # fmt: skip


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    runs = results["runs"]
    summary: dict[str, Any] = {}
    for figure in figures(results["plan"]):
        per_target = {target: [figure.get(run, target) for run in runs] for target in TARGETS}
        ratios = [
            gateway / baseline if gateway is not None and baseline else None
            for gateway, baseline in zip(per_target["gateway"], per_target["baseline"], strict=True)
        ]
        entry: dict[str, Any] = {
            "label": figure.label,
            "unit": figure.unit,
            "gateway": spread(per_target["gateway"]),
            "baseline": spread(per_target["baseline"]),
            "ratio": spread(ratios),
            "target": figure.target,
        }
        measured = entry["gateway"]["median"] is not None
        entry["met"] = figure.met(entry) if figure.met and measured else None
        summary[figure.key] = entry
    summary["commands"] = _commands_summary(runs)
    summary["lost"] = sum(_dig(run, "callbacks", target, "lost") or 0 for run in runs for target in TARGETS)
    summary["cpu"] = _cpu_summary(runs)
    if results["plan"].get("baseline") == "store":  # the store works for the baseline too: where its CPU went
        summary["baseline_cpu"] = _cpu_summary(runs, "baseline")
    return summary


def _commands_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Commands per operation and per idle second (median across runs), with the first run's breakdown."""
    measured = [run["commands"] for run in runs if run.get("commands")]
    if not measured:
        return {}
    summary: dict[str, Any] = {}
    for key, label, target, bound in COMMAND_FIGURES:
        values = spread([one[key]["per_operation"] for one in measured])
        summary[key] = {
            "label": label,
            "per_operation": values,
            "target": target,
            "met": values["median"] is not None and values["median"] <= bound,
            "breakdown": measured[0][key]["breakdown"],
            "operations": measured[0][key]["operations"],
            "cpu_ms": spread([one[key].get("gateway_cpu_ms_per_operation") for one in measured]),
            "cpu_target": CPU_TARGETS.get(key, ""),
        }
    idle = spread([one["idle"]["per_second"] for one in measured])
    summary["idle"] = {
        "label": "an idle process, per second",
        "per_second": idle,
        "target": "≤ 1 /s",
        "met": idle["median"] is not None and idle["median"] <= IDLE_TARGET,
        "breakdown": measured[0]["idle"]["breakdown_per_second"],
        "window_seconds": measured[0]["idle"]["window_seconds"],
        "settle_seconds": measured[0]["idle"]["settle_seconds"],
    }
    return summary


def commands_markdown(results: dict[str, Any]) -> list[str]:
    summary = results["summary"].get("commands")
    if not summary:
        return []
    runs, judged = len(results["runs"]), results["plan"]["name"] != "smoke"

    def breakdown(parts: dict[str, float]) -> str:
        return "; ".join(f"{name} {_number(count, 2)}" for name, count in parts.items()) or "–"

    idle = summary["idle"]
    lines = [
        f"Store commands per operation (each made {summary['push_to_success']['operations']} times at once; counted "
        "by the gateway's driver, STORE_COMMAND_METRICS) and per second of an idle process (every setting at its "
        f"default, {_number(idle['window_seconds'], 0)} s after {_number(idle['settle_seconds'], 0)} s of start-up):",
        "",
        "| operation | store commands | target | met | gateway CPU per operation | target | by command and collection "
        "(per operation) |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, *_ in COMMAND_FIGURES:
        entry = summary[key]
        met = ("yes" if entry["met"] else "**no**") if judged else ""
        cell, cpu = _cell(entry["per_operation"], 1, "", runs), _cell(entry["cpu_ms"], 2, "ms", runs)
        lines.append(
            f"| {entry['label']} | {cell} | {entry['target']} | {met} | {cpu} | {entry['cpu_target']} | "
            f"{breakdown(entry['breakdown'])} |"
        )
    met = ("yes" if idle["met"] else "**no**") if judged else ""
    lines.append(
        f"| {idle['label']} | {_cell(idle['per_second'], 2, '', runs)} | {idle['target']} | {met} | | | "
        f"{breakdown(idle['breakdown'])} |"
    )
    return [
        *lines,
        "",
        "Gateway CPU per operation: the gateway process's CPU time (/proc) from the start of the N operations to a "
        "second after them, ÷ N, with the command counter on; operations made N at once, not at saturation.",
    ]


def _cpu_summary(runs: list[dict[str, Any]], target: str = "gateway") -> dict[str, Any]:
    """Cores used by each process during the target's timed windows (median across runs)."""
    windows = {
        "status": ("status", target, "cpu_cores"),
        "push at saturation": ("push", target, "saturation", "cpu_cores"),
        "push paced": ("push", target, "paced", "cpu_cores"),
        "HTTP push at saturation": ("http_push", target, "saturation", "cpu_cores"),
    }
    if runs:
        for rate in runs[0].get("callbacks", {}).get(target, {}).get("levels", {}):
            windows[f"callbacks at {rate}/s"] = ("callbacks", target, "levels", rate, "cpu_cores")
    summary = {}
    for name, path in windows.items():
        samples = [_dig(run, *path) for run in runs]
        present = [sample for sample in samples if sample]
        if not present:
            continue
        keys = [key for key in present[0] if key in (target, "store", "simulator", "loadgens")]
        summary[name] = {key: spread([sample.get(key) for sample in present])["median"] for key in keys}
    return summary


def _number(value: float | None, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def _cell(entry: dict[str, Any], digits: int, unit: str, runs: int) -> str:
    text = _number(entry["median"], digits)
    if text == "–":
        return text
    if unit in ("ms", "KiB"):
        text += f" {unit}"
    elif unit == "/s":
        text += "/s"
    if runs > 1 and entry["min"] is not None and entry["min"] != entry["max"]:
        text += f" ({_number(entry['min'], digits)}–{_number(entry['max'], digits)})"
    return text


def markdown(results: dict[str, Any]) -> str:
    plan, summary, host = results["plan"], results["summary"], results["machine"]
    runs = len(results["runs"])
    libraries = ", ".join(f"{name} {version}" for name, version in host["libraries"].items() if version)
    git = host["git"]
    commit = (git["commit"] or "unknown")[:10] + (" + uncommitted changes in src/" if git["dirty"] else "")
    source = host.get("gateway_source")
    if source and Path(source).resolve() != (Path(__file__).resolve().parent.parent / "src"):
        commit += f" (gateway code imported from {source})"
    lines = [
        f"**{plan['name']} run, {results['started_at']}** ({results['duration_seconds']:.0f} s): "
        f"{'medians of ' + str(runs) + ' runs, (min–max) across runs' if runs > 1 else 'one run'}; "
        "gateway ÷ baseline is taken within each run (the same machine at the same moment).",
        "",
        f"Machine: {host['cores']} cores ({host['cpu']}), {host['memory_gib']} GiB, Linux {host['kernel']}, "
        f"{host['implementation']} {host['python']}; {libraries}; commit {commit}. Everything (gateway, store, "
        "simulator, baseline, load generators) shares these cores.",
        "",
        *(["Smoke sizes: the targets are shown, not judged.", ""] if plan["name"] == "smoke" else []),
        *(
            [
                "The baseline is the store-backed one (bench/store_baseline.py): the same transport, the same store "
                "process and driver, the same simulator, and per operation only the store and Daraja work it needs "
                "(status: one find; push: one insert, the STK push, one update; callback: one conditional update "
                "and a publish).",
                "",
            ]
            if plan.get("baseline") == "store"
            else []
        ),
    ]
    measured = [figure for figure in figures(plan) if summary[figure.key]["gateway"]["median"] is not None]
    if measured:
        lines += [
            f"| figure | gateway | {baseline_label(plan)} | gateway ÷ baseline | target | met |",
            "|---|---|---|---|---|---|",
        ]
    for figure in measured:
        entry = summary[figure.key]
        ratio = _number(entry["ratio"]["median"], 2)
        met = {True: "yes", False: "**no**", None: ""}[entry["met"]] if plan["name"] != "smoke" else ""
        gateway_cell = _cell(entry["gateway"], figure.digits, figure.unit, runs)
        baseline_cell = _cell(entry["baseline"], figure.digits, figure.unit, runs)
        if figure.key == "held.sockets":
            gateway_cell += _ramp_top(results, "gateway")
            baseline_cell += _ramp_top(results, "baseline")
        lines.append(f"| {figure.label} | {gateway_cell} | {baseline_cell} | {ratio} | {entry['target']} | {met} |")
    commands = commands_markdown(results)
    if commands:
        lines += ["", *commands] if measured else commands
    if summary["cpu"]:
        lines += [
            "",
            "Cores used during the gateway's timed windows (median; 2.0 = both cores busy):",
            "",
            "| window | gateway | store (nx-27017) | simulator | load generators |",
            "|---|---|---|---|---|",
        ]
        for window, cores in summary["cpu"].items():
            cells = " | ".join(_number(cores.get(key), 2) for key in ("gateway", "store", "simulator", "loadgens"))
            lines.append(f"| {window} | {cells} |")
    if summary.get("baseline_cpu"):
        lines += [
            "",
            "Cores used during the store-backed baseline's timed windows:",
            "",
            "| window | store-backed baseline | store (nx-27017) | simulator | load generators |",
            "|---|---|---|---|---|",
        ]
        for window, cores in summary["baseline_cpu"].items():
            cells = " | ".join(_number(cores.get(key), 2) for key in ("baseline", "store", "simulator", "loadgens"))
            lines.append(f"| {window} | {cells} |")
    if results.get("notes"):
        lines += ["", *[f"- {note}" for note in results["notes"]]]
    return "\n".join(lines) + "\n"


def _ramp_top(results: dict[str, Any], target: str) -> str:
    """Marks a held count that is the top of the ramp: the ramp ended there, not the server."""
    tops = [_dig(run, "held", target, "top_of_ramp") for run in results["runs"]]
    return " (top of the ramp)" if tops and all(tops) else ""


def write_results(results: dict[str, Any], directory: Path, name: str) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path, markdown_path = directory / f"{name}.json", directory / f"{name}.md"
    table = markdown(results)
    json_path.write_text(json.dumps(results, indent=1, allow_nan=True) + "\n")
    markdown_path.write_text(table)
    return json_path, markdown_path


def update_readme(table: str, readme: Path = README) -> bool:
    """Put the latest table between the markers of bench/README.md; False when the markers are missing."""
    return _between_markers(readme, TABLE_START, TABLE_END, table)


def update_performance_page(results: dict[str, Any], page: Path = PERFORMANCE_PAGE) -> bool:
    """The latest commands table, with when and on what it was measured, into docs/performance.md."""
    lines = commands_markdown(results)
    if not lines:
        return False
    git = results["machine"]["git"]
    commit = (git["commit"] or "unknown")[:10] + (" + uncommitted changes in src/" if git["dirty"] else "")
    head = f"**{results['plan']['name']} run, {results['started_at']}**, commit {commit}."
    return _between_markers(page, COMMANDS_START, COMMANDS_END, "\n".join([head, "", *lines]) + "\n")


def update_store_baseline_section(table: str, page: Path = PERFORMANCE_PAGE) -> bool:
    """The store-backed baseline's table (bench/results/store_baseline.md) into docs/performance.md."""
    return _between_markers(page, STORE_START, STORE_END, table)


def _between_markers(path: Path, start: str, end: str, table: str) -> bool:
    if not path.exists():
        return False
    text = path.read_text()
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        return False
    path.write_text(pattern.sub(lambda _: f"{start}\n{table}{end}", text))
    return True
