"""The bench: start the embedded store, the simulator, a gateway and the bare baseline over TLS, drive them from
load-generator processes, and write what was measured to bench/results/ (see bench/README.md).

`python -m bench` is the full run (`make bench`); `python -m bench --smoke` the small one (`make bench-smoke`).
"""

import argparse
import asyncio
import contextlib
import json
import math
import shutil
import signal
import ssl
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import pymongo
import pymongo.errors

from adapters.local_process import LocalProcess, free_port
from adapters.mongo.embedded_server import EmbeddedMongo
from bench import commands
from bench.control import Controller
from bench.measure import (
    cpu_seconds,
    latency_summary,
    machine,
    open_files_limit,
    raise_open_files_limit,
    rss_bytes,
)
from bench.report import (
    summarise,
    update_performance_page,
    update_readme,
    update_store_baseline_section,
    write_results,
)
from entrypoints.dev_certificate import ensure_dev_certificate

REPOSITORY = Path(__file__).resolve().parent.parent
RESULTS = REPOSITORY / "bench" / "results"
NEVER_CALLED_BACK = 9100  # the simulator's scenario: Daraja accepts the push and never calls back
STATUS_BUDGET_MS = 100.0  # a held socket count counts only while `status` is answered within this (p95)
GATEWAY_START_TIMEOUT = 60.0
MAX_ATTEMPTS = 3  # a phase whose store or simulator was stopped from outside is measured again, this often at most
GATEWAY_STOP_TIMEOUT = 30.0
DATABASE = "mpesa_gateway"
PHASE_NAMES = {
    "held": "idle sockets held",
    "status": "status round trips",
    "push": "WSS pushes",
    "http_push": "HTTP pushes",
    "callbacks": "callbacks to clients",
    "commands": "store commands per operation",
}
PHASES = frozenset(PHASE_NAMES)


@dataclass(frozen=True)
class Plan:
    name: str
    repeats: int
    held_steps: tuple[int, ...]  # idle sockets, cumulative; the ramp stops at the first step that fails
    sockets_per_loadgen: int
    probe_count: int  # status round trips per probe
    status_sockets: int
    status_seconds: float
    push_sockets: int
    push_seconds: float
    paced_fraction: float  # "below saturation": this fraction of the gateway's saturated rate
    http_connections: int
    http_seconds: float
    callback_sockets: int
    callback_rates: tuple[int, ...]
    callback_seconds: float
    ladder_rates: tuple[int, ...]  # tried in order for the highest sustained callback rate
    ladder_seconds: float
    sustained_p99_ms: float  # a callback rate is sustained when none is lost, it is kept up, and p99 ≤ this
    commands_operations: int = 50  # each operation made this many times at once, for its commands
    idle_settle_seconds: float = 15.0  # the idle gateway's loops have backed off by then
    idle_window_seconds: float = 45.0
    active_loadgens: int = 2
    callback_connections: int = 32
    # "bare": bench/baseline_app.py as it is; "store": its store-backed mode (bench/store_baseline.py), on the same
    # store and simulator as the gateway (`--baseline store`, bench/results/store_baseline.*).
    baseline: str = "bare"


FULL = Plan(
    name="full",
    repeats=3,
    held_steps=(1000, 2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000),
    sockets_per_loadgen=1000,
    probe_count=40,
    status_sockets=100,
    status_seconds=8,
    push_sockets=200,
    push_seconds=8,
    paced_fraction=0.5,
    http_connections=64,
    http_seconds=8,
    callback_sockets=100,
    callback_rates=(100, 500),
    callback_seconds=8,
    ladder_rates=(150, 200, 300, 400, 750, 1000, 1500, 2000, 3000),
    ladder_seconds=4,
    sustained_p99_ms=100.0,
)
SMOKE = Plan(
    name="smoke",
    repeats=1,
    held_steps=(100, 200),
    sockets_per_loadgen=200,
    probe_count=10,
    status_sockets=20,
    status_seconds=1,
    push_sockets=20,
    push_seconds=1,
    paced_fraction=0.5,
    http_connections=10,
    http_seconds=1,
    callback_sockets=10,
    callback_rates=(50,),
    callback_seconds=2,
    ladder_rates=(),
    ladder_seconds=2,
    sustained_p99_ms=100.0,
    commands_operations=3,
    idle_settle_seconds=2.0,
    idle_window_seconds=4.0,
)

# Against the store-backed baseline: the figures issue 15 item 6 names (status, WSS push, callbacks at 500/s for
# 10 s), two runs by default (about six minutes), so which server goes first alternates.
STORE = replace(
    FULL, name="store", repeats=2, callback_rates=(500,), callback_seconds=10, ladder_rates=(), baseline="store"
)
STORE_PHASES = frozenset({"status", "push", "callbacks"})


@dataclass
class Target:
    """A server under measurement: the gateway or the baseline."""

    name: str
    process: LocalProcess
    port: int

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    @property
    def wss(self) -> str:
        return f"wss://127.0.0.1:{self.port}/mpesa/stk/"

    @property
    def is_gateway(self) -> bool:
        return self.name == "gateway"


@dataclass
class LoadGen:
    process: LocalProcess
    control: Controller


@dataclass
class Phones:
    """Disjoint phone number ranges: the simulator refuses a second prompt to a phone with one open."""

    next_base: int = 10_000_000
    block: int = 200_000
    issued: list[int] = field(default_factory=list)

    def take(self) -> int:
        base, self.next_base = self.next_base, self.next_base + self.block
        if self.next_base >= 100_000_000:
            raise RuntimeError("out of phone numbers for this run")
        return base


def success_body(checkout: str, merchant_request: str, amount: float, phone: str) -> dict[str, Any]:
    """Daraja's STK callback for a paid request (the shape in tests/e2e/stk/test_stk_callbacks.py)."""
    return {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": merchant_request,
                "CheckoutRequestID": checkout,
                "ResultCode": 0,
                "ResultDesc": "The service request is processed successfully.",
                "CallbackMetadata": {
                    "Item": [
                        {"Name": "Amount", "Value": amount},
                        {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
                        {"Name": "Balance"},
                        {"Name": "TransactionDate", "Value": 20191219102115},
                        {"Name": "PhoneNumber", "Value": int(phone)},
                    ]
                },
            }
        }
    }


def now_ns() -> int:
    return time.monotonic_ns()


class Bench:
    def __init__(self, plan: Plan, workdir: Path, log_level: str, only: frozenset[str] = PHASES) -> None:
        self.plan, self.workdir, self.log_level, self.only = plan, workdir, log_level, only
        self.certfile, self.keyfile = workdir / "ssl" / "cert.pem", workdir / "ssl" / "key.pem"
        self.phones = Phones()
        self.store: EmbeddedMongo | None = None
        self.simulator: LocalProcess | None = None
        self.simulator_url = ""
        self.idle: list[LoadGen] = []
        self.active: list[LoadGen] = []
        self.mongo: pymongo.MongoClient[dict[str, Any]] | None = None
        self.notes: list[str] = []
        self.began = time.monotonic()
        self.backend_died: str | None = None
        self.profile_seconds = 0
        # What starts each server (bench/socket_memory.py starts them under tracemalloc instead).
        self.gateway_command = [sys.executable, "-m", "entrypoints.cli", "serve"]
        self.baseline_command = [sys.executable, "-m", "bench.baseline_app"]

    # Processes ------------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def services(self) -> Iterator[None]:
        """The certificate and the load generators, for the whole run."""
        ensure_dev_certificate(self.certfile, self.keyfile)
        with contextlib.ExitStack() as stack:
            idle_count = math.ceil(max(self.plan.held_steps) / self.plan.sockets_per_loadgen)
            processes = [self._loadgen_process(i) for i in range(self.plan.active_loadgens + idle_count)]
            for process in processes:
                stack.callback(process.stop)
            yield from self._started_loadgens(processes)

    def start_backends(self, stack: contextlib.ExitStack, rep: str) -> None:
        """A fresh embedded store and simulator for one run, so every run starts from the same empty store."""
        self.store = stack.enter_context(EmbeddedMongo(self.workdir / f"store-{rep}"))
        port = free_port()
        self.simulator = stack.enter_context(
            LocalProcess(
                [sys.executable, "-m", "entrypoints.cli", "simulator", "--port", str(port)],
                port=port,
                log_file=self.workdir / f"simulator-{rep}.log",
                env={"SIM_CALLBACK_DELAY": "0"},
            )
        )
        self.simulator_url = f"http://127.0.0.1:{port}"
        self.mongo = pymongo.MongoClient(self.store.url, serverSelectionTimeoutMS=10_000)
        stack.callback(self.mongo.close)

    def _started_loadgens(self, processes: list[LocalProcess]) -> Iterator[None]:
        async def start() -> None:
            await asyncio.gather(*(asyncio.to_thread(process.start) for process in processes))

        asyncio.run(start())
        generators = [LoadGen(process, Controller(f"loadgen-{i}", process.port)) for i, process in enumerate(processes)]
        self.active, self.idle = (
            generators[: self.plan.active_loadgens],
            generators[self.plan.active_loadgens :],
        )
        yield

    def _loadgen_process(self, index: int) -> LocalProcess:
        port = free_port()
        return LocalProcess(
            [
                sys.executable,
                "-m",
                "bench.loadgen",
                "--port",
                str(port),
                "--max-seconds",
                "3600",
                "--source-address",
                f"127.0.0.{10 + index}",
            ],
            port=port,
            log_file=self.workdir / f"loadgen-{index}.log",
            cwd=REPOSITORY,
        )

    def start_gateway(self, rep: str, extra: dict[str, str] | None = None) -> Target:
        """`extra`: settings on top of the bench's; "{port}" in a value is the gateway's port."""
        assert self.store is not None
        port = free_port()
        environment = {
            "APP_HOST": "127.0.0.1",
            "APP_PORT": str(port),
            "SSL_CERTFILE": str(self.certfile),
            "SSL_KEYFILE": str(self.keyfile),
            "DATA_DIR": str(self.workdir / "var"),
            "MONGODB_URL": self.store.url,
            "MONGODB_DATABASE": DATABASE,
            "DARAJA_BASE_URL": self.simulator_url,
            "SIMULATOR_CALLBACK_DELAY": "0",
            "LOG_LEVEL": self.log_level,
            # The ramp looks for the most sockets one process holds: the per-process cap (WS_MAX_SOCKETS, 10,000
            # by default) is lifted above the ramp. Per-address limits stay as shipped: each load generator
            # connects from its own loopback address and holds at most `sockets_per_loadgen`.
            "WS_MAX_SOCKETS": str(max(self.plan.held_steps) + 1000),
            # HTTP pushes without an API key, as under `make run`: the bare baseline checks no credential either.
            "API_KEYS_OPTIONAL": "true",
            # The load generators post Daraja's callbacks from loopback addresses: listed as Daraja's, the source
            # check admits them as it admits Safaricom's in production, rather than logging a refusal per callback.
            "CALLBACK_ALLOWED_NETWORKS": "127.0.0.0/8",
            **{name: value.replace("{port}", str(port)) for name, value in (extra or {}).items()},
        }
        command = list(self.gateway_command)
        if self.profile_seconds:
            # py-spy samples the gateway from its start for that long, then lets it run on (bench/README.md).
            spy = Path(sys.executable).parent / "py-spy"
            output = self.workdir / f"gateway-{rep}.py-spy.txt"
            command = [str(spy), "record", "--nonblocking", "--format", "raw", "-r", "200",
                       "-d", str(self.profile_seconds), "-o", str(output), "--", *command]  # fmt: skip
        process = LocalProcess(
            command,
            port=port,
            log_file=self.workdir / f"gateway-{rep}.log",
            env=environment,
            cwd=REPOSITORY,
            start_timeout=GATEWAY_START_TIMEOUT,
            stop_timeout=GATEWAY_STOP_TIMEOUT,
        ).start()
        return Target("gateway", process, port)

    def start_baseline(self, rep: str) -> Target:
        port = free_port()
        command = [*self.baseline_command, "--port", str(port)]
        command += ["--certfile", str(self.certfile), "--keyfile", str(self.keyfile), "--max-seconds", "3600"]
        if self.plan.baseline == "store":
            assert self.store is not None
            command += ["--store", self.store.url, "--daraja-url", self.simulator_url]
        process = LocalProcess(command, port=port, log_file=self.workdir / f"baseline-{rep}.log", cwd=REPOSITORY)
        return Target("baseline", process.start(), port)

    def others(self) -> dict[str, int]:
        """The helper processes whose CPU is reported next to the target's."""
        pids = {}
        if self.store is not None and self.store._process is not None and self.store._process.pid is not None:
            pids["store"] = self.store._process.pid
        if self.simulator is not None and self.simulator.pid is not None:
            pids["simulator"] = self.simulator.pid
        for index, generator in enumerate(self.active + self.idle):
            if generator.process.pid is not None:
                pids[f"loadgen-{index}"] = generator.process.pid
        return pids

    # Measuring ------------------------------------------------------------------------------------------------

    async def run(self) -> list[dict[str, Any]]:
        for generator in self.active + self.idle:
            await generator.control.connect()
        reps = []
        try:
            for rep in range(self.plan.repeats):
                reps.append(await self.one_rep(rep))
        finally:
            for generator in self.active + self.idle:
                await generator.control.close()
        return reps

    async def one_rep(self, rep: int) -> dict[str, Any]:
        """Every figure once. Each phase gets a fresh store, simulator, gateway and baseline: the embedded store's
        writes slow down as its collections grow (bench/README.md), so no figure depends on the phases before it."""
        phases: dict[str, Any] = {}
        for phase in ("commands", "held", "status", "push", "http_push", "callbacks"):
            if phase not in self.only:
                continue
            for attempt in range(MAX_ATTEMPTS):
                self.progress(rep, PHASE_NAMES[phase] + (f" (attempt {attempt + 1})" if attempt else ""))
                try:
                    phases[phase] = await self.one_phase(rep, phase, f"{phase}-{attempt}")
                    break
                except Exception as error:
                    if not self.backend_died or attempt == MAX_ATTEMPTS - 1:
                        raise
                    self.notes.append(
                        f"run {rep + 1}, {PHASE_NAMES[phase]}: the {self.backend_died} was stopped by a signal from "
                        f"outside the bench ({type(error).__name__}); the phase was measured again"
                    )
        return phases

    async def one_phase(self, rep: int, phase: str, label: str) -> dict[str, Any]:
        self.backend_died = None
        if phase == "commands":
            return await self.commands(rep, label)
        with contextlib.ExitStack() as stack:
            await asyncio.to_thread(self.start_backends, stack, f"{rep}-{label}")
            gateway = await asyncio.to_thread(self.start_gateway, f"{rep}-{label}")
            stack.callback(gateway.process.stop)
            baseline = await asyncio.to_thread(self.start_baseline, f"{rep}-{label}")
            stack.callback(baseline.process.stop)
            targets = [gateway, baseline] if rep % 2 == 0 else [baseline, gateway]  # who goes first alternates
            context = {
                "open_files_limit": {target.name: open_files_limit(target.pid) for target in targets},
                "rss_at_start_bytes": {target.name: rss_bytes(target.pid) for target in targets},
            }
            try:
                if phase in ("push", "http_push"):
                    measure = self.push if phase == "push" else self.http_push
                    result = await measure(gateway, baseline, rep, targets)
                else:
                    measure_one = {"held": self.held, "status": self.status, "callbacks": self.callbacks}[phase]
                    result = {target.name: await measure_one(target, rep) for target in targets}
                self.check_alive(gateway, baseline, phase=phase)
            except Exception:
                self.backend_died = self.dead_backend()
                raise
            context["stored_payments_at_end"] = self.stored_payments()
            await asyncio.to_thread(stack.close)
        return {**result, "context": context}

    async def commands(self, rep: int, label: str) -> dict[str, Any]:
        """Store commands per operation (bench/commands.py): no baseline, the gateway counts its own commands."""
        tls = ssl.create_default_context(cafile=str(self.certfile))
        counted = {"STORE_COMMAND_METRICS": "true"}
        with contextlib.ExitStack() as stack:
            await asyncio.to_thread(self.start_backends, stack, f"{rep}-{label}")
            extra = {
                **counted,
                **commands.WOKEN_ONLY,
                "OPEN_WITHDRAWALS": "true",
                "CALLBACK_BASE_URL": "https://127.0.0.1:{port}",
                "C2B_HOOK_SECRET": commands.C2B_HOOK_SECRET,
            }
            gateway = await asyncio.to_thread(self.start_gateway, f"{rep}-{label}-operations", extra)
            stack.callback(gateway.process.stop)

            async def tokens(checkouts: list[str]) -> dict[str, str]:
                return await asyncio.to_thread(self._tokens, checkouts)

            try:
                measured = await commands.operations(
                    port=gateway.port,
                    tls=tls,
                    count=self.plan.commands_operations,
                    prefix=f"cmd-r{rep}",
                    phone_base=self.phones.take(),
                    tokens=tokens,
                    success_body=success_body,
                    cpu=lambda: cpu_seconds(gateway.pid),
                )
                self.check_alive(gateway, phase="commands")
            except Exception:
                self.backend_died = self.dead_backend()
                raise
            await asyncio.to_thread(gateway.process.stop)
            idle_gateway = await asyncio.to_thread(self.start_gateway, f"{rep}-{label}-idle", counted)
            stack.callback(idle_gateway.process.stop)
            measured["idle"] = await commands.idle(
                port=idle_gateway.port,
                tls=tls,
                settle_seconds=self.plan.idle_settle_seconds,
                window_seconds=self.plan.idle_window_seconds,
            )
            await asyncio.to_thread(stack.close)
        return measured

    def dead_backend(self) -> str | None:
        """The store or simulator, if it is no longer running (something outside the bench stopped it)."""
        if self.store is not None and self.store._process is not None and not self.store._process.running:
            return "embedded store (nx-27017)"
        if self.simulator is not None and not self.simulator.running:
            return "simulator"
        return None

    def check_alive(self, *targets: Target, phase: str) -> None:
        """A server that died mid-run would make every later figure wrong: stop with its name and log instead."""
        processes = [(target.name, target.process) for target in targets]
        if self.store is not None and self.store._process is not None:
            processes.append(("embedded store (nx-27017)", self.store._process))
        if self.simulator is not None:
            processes.append(("simulator", self.simulator))
        for name, process in processes:
            if not process.running:
                raise RuntimeError(f"the {name} stopped during {phase}; see {process.log_file}:\n{process.log_tail()}")

    def stored_payments(self) -> int | None:
        if self.mongo is None:
            return None
        try:
            return int(self.mongo[DATABASE]["stk_payments"].count_documents({}))
        except pymongo.errors.PyMongoError:
            return None

    def progress(self, rep: int, phase: str) -> None:
        elapsed = time.monotonic() - self.began
        print(f"[{elapsed:6.0f} s] run {rep + 1}/{self.plan.repeats}: {phase}", flush=True)

    async def cpu_during(self, target: Target, start_ns: int, seconds: float) -> dict[str, float]:
        """How many cores each process used from `start_ns` for `seconds` (run alongside the load)."""
        pids = {target.name: target.pid, **self.others()}
        await asyncio.sleep(max(0.0, (start_ns - now_ns()) / 1e9))
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        began = time.monotonic()
        await asyncio.sleep(seconds)
        elapsed = time.monotonic() - began
        used = {name: (cpu_seconds(pid) - before[name]) / elapsed for name, pid in pids.items()}
        loadgens = sum(value for name, value in used.items() if name.startswith("loadgen"))
        summary = {name: round(value, 2) for name, value in used.items() if not name.startswith("loadgen")}
        summary["loadgens"] = round(loadgens, 2)
        return summary

    async def held(self, target: Target, rep: int) -> dict[str, Any]:
        """Open idle sockets step by step while a probe checks that `status` is still answered in time."""
        plan, probe = self.plan, self.active[0].control
        limit = open_files_limit(target.pid) or 1024
        cap = limit - 256  # the store connection pool, logs, the listening socket...
        steps = [step for step in plan.held_steps if step <= cap]
        if len(steps) < len(plan.held_steps):
            self.notes.append(f"{target.name}: open files limit {limit} caps the sockets ramp at {cap}")
        tag = f"r{rep}-{target.name}"
        await probe.call("probe_open", 30, url=target.wss, path=f"probe-{tag}", ca=str(self.certfile),
                         phone=self.phones.take())  # fmt: skip
        await asyncio.sleep(0.5)
        rss_before = rss_bytes(target.pid)
        cpu_before = cpu_seconds(target.pid)
        held, opened_total, deflate, record = 0, 0, 0, []
        try:
            for step in steps:
                wanted = step - opened_total
                assignments = self._spread(opened_total, wanted, f"idle-{tag}")
                began = time.monotonic()
                answers = await asyncio.gather(
                    *(
                        generator.control.call("hold", 300, url=target.wss, paths=paths, ca=str(self.certfile))
                        for generator, paths in assignments
                    )
                )
                connect_seconds = time.monotonic() - began
                opened = sum(answer["opened"] for answer in answers)
                failed = sum(answer["failed"] for answer in answers)
                opened_total += opened
                deflate += sum(answer["deflate"] for answer in answers)
                await asyncio.sleep(1.0)  # let the last connections settle (catch-up, subscription)
                still_open = sum(answer["still_open"] for answer in await self._held_counts())
                rss = rss_bytes(target.pid)
                answer = await probe.call("probe", 120, url=target.wss, count=plan.probe_count, interval=0.02)
                latency = latency_summary(answer["latencies_ms"])
                ok = failed == 0 and still_open == step and answer["errors"] == 0 and latency["p95"] <= STATUS_BUDGET_MS
                record.append(
                    {
                        "sockets": step,
                        "opened": opened_total,
                        "still_open": still_open,
                        "failed": failed,
                        "errors": [error for answer in answers for error in answer["errors"]][:3],
                        "deflate": deflate,  # sockets on which permessage-deflate was negotiated
                        "connect_seconds": round(connect_seconds, 2),
                        "rss_bytes": rss,
                        "rss_per_socket_kib": (rss - rss_before) / max(opened_total, 1) / 1024,
                        "probe": latency,
                        "probe_errors": answer["errors"],
                        "ok": ok,
                    }
                )
                if not ok:
                    break
                held = step
        finally:
            await asyncio.gather(*(generator.control.call("release", 120) for generator in self.idle))
            await probe.call("probe_close", 30, url=target.wss)
        best = next((step for step in reversed(record) if step["ok"]), None)
        return {
            "held": held,
            "cap": cap,
            "top_of_ramp": held == max(steps, default=0),  # the ramp ended before the target did
            "rss_before_bytes": rss_before,
            "rss_per_socket_kib": best["rss_per_socket_kib"] if best else None,
            "probe_at_held": best["probe"] if best else None,
            "deflate_negotiated": best["deflate"] if best else 0,
            "cpu_seconds": cpu_seconds(target.pid) - cpu_before,
            "steps": record,
        }

    async def _held_counts(self) -> list[dict[str, Any]]:
        return list(
            await asyncio.gather(
                *(
                    generator.control.call("hold", 60, url="", paths=[], ca=str(self.certfile))
                    for generator in self.idle
                )
            )
        )

    def _spread(self, already: int, wanted: int, prefix: str) -> list[tuple[LoadGen, list[str]]]:
        """New idle sockets for the load generators with room left, `sockets_per_loadgen` each at most."""
        per, assignments, index = self.plan.sockets_per_loadgen, [], already
        for position, generator in enumerate(self.idle):
            room = (position + 1) * per - index
            if room <= 0 or wanted <= 0:
                continue
            take = min(room, wanted)
            assignments.append((generator, [f"{prefix}-{i}" for i in range(index, index + take)]))
            index, wanted = index + take, wanted - take
        return assignments

    def _split(self, count: int) -> list[tuple[LoadGen, range]]:
        """`count` items shared among the active load generators."""
        share = math.ceil(count / len(self.active))
        return [
            (generator, range(i * share, min(count, (i + 1) * share)))
            for i, generator in enumerate(self.active)
            if i * share < count
        ]

    async def _open_active(self, target: Target, count: int, prefix: str) -> None:
        parts = self._split(count)
        answers = await asyncio.gather(
            *(
                generator.control.call(
                    "open_active", 120, url=target.wss, paths=[f"{prefix}-{i}" for i in part], ca=str(self.certfile)
                )
                for generator, part in parts
            )
        )
        failed = sum(answer["failed"] for answer in answers)
        if failed:
            raise RuntimeError(f"{target.name}: {failed} active sockets failed to open: {answers[0]['errors']}")

    async def _close_active(self) -> None:
        await asyncio.gather(*(generator.control.call("close_active", 60) for generator in self.active))

    async def _timed(
        self, target: Target, seconds: float, command: str, arguments: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Run `command` on every active load generator from the same instant; merge what they measured."""
        start_ns = now_ns() + 300_000_000
        cpu = asyncio.create_task(self.cpu_during(target, start_ns, seconds))
        answers = await asyncio.gather(
            *(
                generator.control.call(command, seconds * 4 + 60, start_ns=start_ns, duration=seconds, **extra)
                for generator, extra in zip(self.active, arguments, strict=False)
            )
        )
        latencies = [value for answer in answers for value in answer["latencies_ms"]]
        outcomes: dict[str, int] = {}
        for answer in answers:
            for outcome, count in answer["outcomes"].items():
                outcomes[outcome] = outcomes.get(outcome, 0) + count
        ok = outcomes.get("ok", 0)
        return {
            "rate": ok / seconds,
            "ok": ok,
            "outcomes": outcomes,
            "latency_ms": latency_summary(latencies),
            "cpu_cores": await cpu,
        }

    async def status(self, target: Target, rep: int) -> dict[str, Any]:
        """Round trips of `status` on many sockets, one request in flight on each, for a fixed time."""
        plan = self.plan
        await self._open_active(target, plan.status_sockets, f"status-r{rep}-{target.name}")
        try:
            await asyncio.gather(
                *(
                    generator.control.call("prepare_status", 120, phone_base=self.phones.take())
                    for generator in self.active
                )
            )
            result = await self._timed(target, plan.status_seconds, "run_status", [{} for _ in self.active])
        finally:
            await self._close_active()
        return {"sockets": plan.status_sockets, "seconds": plan.status_seconds, **result}

    async def push(self, gateway: Target, baseline: Target, rep: int, order: list[Target]) -> dict[str, dict[str, Any]]:
        """`push` at saturation (one in flight per socket), then paced at a fraction of the gateway's saturation."""
        plan = self.plan
        results: dict[str, dict[str, Any]] = {target.name: {} for target in order}
        for target in order:
            await self._open_active(target, plan.push_sockets, f"push-r{rep}-{target.name}")
            try:
                results[target.name]["saturation"] = await self._timed(
                    target, plan.push_seconds, "run_push", self._push_arguments(None)
                )
            finally:
                await self._close_active()
        paced_rate = max(10, round(results["gateway"]["saturation"]["rate"] * plan.paced_fraction))
        for target in order:
            await self._open_active(target, plan.push_sockets, f"paced-r{rep}-{target.name}")
            try:
                results[target.name]["paced"] = {
                    "offered_rate": paced_rate,
                    **await self._timed(target, plan.push_seconds, "run_push", self._push_arguments(paced_rate)),
                }
            finally:
                await self._close_active()
        return results

    def _push_arguments(self, rate: float | None) -> list[dict[str, Any]]:
        share = None if rate is None else rate / len(self.active)
        return [{"phone_base": self.phones.take(), "amount": NEVER_CALLED_BACK, "rate": share} for _ in self.active]

    async def http_push(
        self, gateway: Target, baseline: Target, rep: int, order: list[Target]
    ) -> dict[str, dict[str, Any]]:
        """POST /api/v1/mpesa/stk/push over keep-alive connections: at saturation, then paced."""
        plan = self.plan
        results: dict[str, dict[str, Any]] = {target.name: {} for target in order}
        per_loadgen = max(1, plan.http_connections // len(self.active))

        def arguments(target: Target, rate: float | None) -> list[dict[str, Any]]:
            share = None if rate is None else rate / len(self.active)
            return [
                {
                    "host": "127.0.0.1",
                    "port": target.port,
                    "ca": str(self.certfile),
                    "path": "/api/v1/mpesa/stk/push",
                    "connections": per_loadgen,
                    "phone_base": self.phones.take(),
                    "amount": NEVER_CALLED_BACK,
                    "hash_prefix": f"http-r{rep}-{index}-",
                    "rate": share,
                }
                for index in range(len(self.active))
            ]

        for target in order:
            results[target.name]["saturation"] = await self._timed(
                target, plan.http_seconds, "run_http_push", arguments(target, None)
            )
        paced_rate = max(10, round(results["gateway"]["saturation"]["rate"] * plan.paced_fraction))
        for target in order:
            results[target.name]["paced"] = {
                "offered_rate": paced_rate,
                **await self._timed(target, plan.http_seconds, "run_http_push", arguments(target, paced_rate)),
            }
        return results

    async def callbacks(self, target: Target, rep: int) -> dict[str, Any]:
        """Callbacks posted at the fixed rates, then rising rates (between the last sustained fixed rate and the first
        that was not, or above them all) until one is no longer sustained."""
        plan = self.plan
        fixed = {}
        for rate in plan.callback_rates:
            fixed[str(rate)] = await self.callback_level(target, rep, rate, plan.callback_seconds)
        sustained = [int(rate) for rate, level in fixed.items() if level["sustained"]]
        failed = [int(rate) for rate, level in fixed.items() if not level["sustained"]]
        highest = max(sustained, default=0)
        ceiling = min(failed, default=math.inf)
        ladder = []
        for rate in sorted(set(plan.ladder_rates)):
            if not highest < rate < ceiling:
                continue
            level = await self.callback_level(target, rep, rate, plan.ladder_seconds)
            ladder.append({"rate": rate, **level})
            if not level["sustained"]:
                break
            highest = rate
        return {
            "levels": fixed,
            "ladder": ladder,
            "highest_sustained": highest,
            "highest_is_ceiling": highest == max(plan.ladder_rates + plan.callback_rates),
            "lost": sum(level["lost"] for level in fixed.values()) + sum(level["lost"] for level in ladder),
        }

    async def callback_level(self, target: Target, rep: int, rate: int, seconds: float) -> dict[str, Any]:
        plan = self.plan
        subscriber, poster = self.active[0].control, self.active[-1].control
        count = max(1, int(rate * seconds))
        tag = f"r{rep}-{target.name}-{rate}"
        paths = [f"cb-{tag}-{i}" for i in range(plan.callback_sockets)]
        opened = await subscriber.call("subscribe", 120, url=target.wss, paths=paths, ca=str(self.certfile))
        if opened["failed"]:
            raise RuntimeError(f"{target.name}: subscriber sockets failed to open: {opened['errors']}")
        try:
            if target.is_gateway:
                items, created = await self._gateway_callbacks(subscriber, count)
            elif plan.baseline == "store":
                items, created = await self._store_baseline_callbacks(subscriber, count)
            else:
                items, created = self._baseline_callbacks(paths, count, tag), {"ok": count}
            start_ns = now_ns() + 500_000_000
            cpu = asyncio.create_task(self.cpu_during(target, start_ns, seconds))
            posted = await poster.call(
                "post_callbacks",
                seconds * 5 + 120,
                host="127.0.0.1",
                port=target.port,
                ca=str(self.certfile),
                items=items,
                rate=rate,
                start_ns=start_ns,
                connections=plan.callback_connections,
            )
            sent: dict[str, int] = posted["sent"]
            arrived = (await subscriber.call("collect", 60, keys=list(sent), wait=10.0))["arrived"]
            cpu_cores = await cpu
        finally:
            await subscriber.call("unsubscribe", 60)
        latencies = [(arrived[key] - stamp) / 1e6 for key, stamp in sent.items() if key in arrived]
        span = (posted["last_ns"] - posted["first_ns"]) / 1e9
        achieved = (len(sent) - 1) / span if span > 0 else float(len(sent))
        lost = len(items) - len(arrived)
        rejected = sum(n for status, n in posted["statuses"].items() if status != "200")
        latency = latency_summary(latencies)
        sustained = (
            lost == 0
            and rejected == 0
            and len(sent) == len(items) == count
            and achieved >= 0.95 * rate
            and latency["p99"] <= plan.sustained_p99_ms
        )
        return {
            "rate": rate,
            "seconds": seconds,
            "planned": count,
            "created": created,
            "sent": len(sent),
            "arrived": len(arrived),
            "lost": lost,
            "rejected": rejected,
            "statuses": posted["statuses"],
            "achieved_rate": achieved,
            "poster_behind_max_ms": posted["behind_max_ms"],
            "latency_ms": latency,
            "sustained": sustained,
            "cpu_cores": cpu_cores,
        }

    async def _gateway_callbacks(self, subscriber: Controller, count: int) -> tuple[list[dict[str, str]], Any]:
        """Pending payments made beforehand (never called back by the simulator), and Daraja's callback for each."""
        created = await subscriber.call(
            "create_pushes", count / 20 + 120, count=count, phone_base=self.phones.take(), amount=NEVER_CALLED_BACK
        )
        payments = created["payments"]
        tokens = await asyncio.to_thread(self._tokens, [payment["checkout"] for payment in payments])
        items = [
            {
                "key": payment["checkout"],
                "path": f"/api/v1/hooks/stk/{tokens[payment['checkout']]}",
                "body": json.dumps(
                    success_body(
                        payment["checkout"], payment["merchant_request"], float(payment["amount"]), payment["phone"]
                    )
                ),
            }
            for payment in payments
            if payment["checkout"] in tokens
        ]
        return items, created["outcomes"]

    async def _store_baseline_callbacks(self, subscriber: Controller, count: int) -> tuple[list[dict[str, str]], Any]:
        """Pending payments made beforehand through the store-backed baseline's own push, and Daraja's callback for
        each, posted to its `/hook/{hash}`."""
        created = await subscriber.call(
            "create_pushes", count / 20 + 120, count=count, phone_base=self.phones.take(), amount=NEVER_CALLED_BACK
        )
        items = [
            {
                "key": payment["checkout"],
                "path": f"/hook/{payment['path']}",
                "body": json.dumps(
                    success_body(
                        payment["checkout"], payment["merchant_request"], float(payment["amount"]), payment["phone"]
                    )
                ),
            }
            for payment in created["payments"]
        ]
        return items, created["outcomes"]

    def _tokens(self, checkouts: list[str]) -> dict[str, str]:
        """Each payment's callback token, read from the store like the gateway would hand it to Daraja."""
        assert self.mongo is not None
        collection = self.mongo[DATABASE]["stk_payments"]
        tokens: dict[str, str] = {}
        for start in range(0, len(checkouts), 500):
            chunk = checkouts[start : start + 500]
            for document in collection.find({"checkout": {"$in": chunk}}, {"checkout": 1, "callback_token": 1}):
                tokens[document["checkout"]] = document["callback_token"]
        return tokens

    @staticmethod
    def _baseline_callbacks(paths: list[str], count: int, tag: str) -> list[dict[str, str]]:
        return [
            {
                "key": f"bl-{tag}-{i}",
                "path": f"/hook/{paths[i % len(paths)]}",
                "body": json.dumps(success_body(f"bl-{tag}-{i}", "29115-34620561-1", 9100.0, "254712345678")),
            }
            for i in range(count)
        ]


def _exit_on_terminate(signum: int, _: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="the small run `make bench-smoke` and the tests use")
    parser.add_argument(
        "--baseline",
        choices=("bare", "store"),
        default="bare",
        help="store: against the store-backed baseline (status, push, callbacks at 500/s; two runs; writes "
        "bench/results/store_baseline.*)",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where to write JSON and Markdown")
    parser.add_argument("--name", help="file name stem of the results (default: latest, or smoke)")
    parser.add_argument("--repeats", type=int, help="runs to take medians over (default: 3, smoke: 1)")
    parser.add_argument("--log-level", default="INFO", help="the gateway's LOG_LEVEL (default INFO, as shipped)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, store) afterwards")
    parser.add_argument("--only", help=f"comma-separated phases to run (default all: {','.join(sorted(PHASES))})")
    parser.add_argument("--held-steps", help="comma-separated idle socket counts for the sockets ramp")
    parser.add_argument(
        "--profile-seconds",
        type=int,
        default=0,
        help="run each gateway under py-spy for its first N seconds (raw samples in the work directory; --keep); "
        "its CPU figures are then py-spy's, so profile and measure in separate runs",
    )
    arguments = parser.parse_args(argv)
    plan = SMOKE if arguments.smoke else FULL
    if arguments.baseline == "store":
        plan = replace(SMOKE, baseline="store") if arguments.smoke else STORE
    if arguments.repeats:
        plan = replace(plan, repeats=arguments.repeats)
    if arguments.held_steps:
        plan = replace(plan, held_steps=tuple(int(step) for step in arguments.held_steps.split(",")))
    allowed = STORE_PHASES if plan.baseline == "store" else PHASES
    only = frozenset(arguments.only.split(",")) if arguments.only else allowed
    if not only <= allowed:
        parser.error(f"unknown phases{' for --baseline store' * (plan.baseline == 'store')}: "
                     f"{', '.join(sorted(only - allowed))}")  # fmt: skip
    # Commands alone are a run of their own (bench/results/commands.*), not the latest full table.
    name = arguments.name or ("smoke" if arguments.smoke else "commands" if only == {"commands"} else "latest")
    if plan.baseline == "store" and not arguments.name:
        name = "smoke_store_baseline" if arguments.smoke else "store_baseline"
    limit = raise_open_files_limit()  # children (gateway, baseline, load generators) inherit it
    # A bench told to stop (SIGTERM, as `timeout` sends) unwinds like Ctrl-C, so it stops every process it started.
    signal.signal(signal.SIGTERM, _exit_on_terminate)
    workdir = Path(tempfile.mkdtemp(prefix="mpesa-bench-"))
    began, started_at = time.monotonic(), datetime.now(UTC)
    bench = Bench(plan, workdir, arguments.log_level, only)
    bench.profile_seconds = arguments.profile_seconds
    print(f"bench {plan.name}: {plan.repeats} run(s); work directory {workdir}", flush=True)
    succeeded = False
    try:
        with bench.services():
            import uvloop

            reps = uvloop.run(bench.run())
        succeeded = True
    finally:
        if succeeded and not arguments.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        elif not succeeded:
            print(f"bench failed; logs are in {workdir}", file=sys.stderr)
    results = {
        "plan": asdict(plan),
        "phases": sorted(only),
        "started_at": started_at.isoformat(timespec="seconds"),
        "duration_seconds": round(time.monotonic() - began, 1),
        "machine": machine(REPOSITORY),
        "open_files_limit": list(limit),
        "notes": bench.notes,
        "runs": reps,
    }
    results["summary"] = summarise(results)
    json_path, markdown_path = write_results(results, arguments.results_dir, name)
    table = markdown_path.read_text()
    if name == "latest" and arguments.results_dir.resolve() == RESULTS.resolve():
        update_readme(table)
    if not arguments.smoke and arguments.results_dir.resolve() == RESULTS.resolve():
        update_performance_page(results)
        if plan.baseline == "store":
            update_store_baseline_section(table)
    print(table, flush=True)
    print(f"wrote {json_path} and {markdown_path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
