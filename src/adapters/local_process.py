"""A child process that serves on a local TCP port: started, awaited until it listens, and stopped."""

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

_LOG_TAIL_LINES = 30


class LocalProcessError(RuntimeError):
    """The process exited, or never started listening, before it was ready."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS may hand it out again later, so use it soon)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def port_accepts(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class LocalProcess:
    """Run `command`, writing its output to `log_file`, and consider it ready once `port` accepts connections."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        port: int,
        log_file: Path,
        host: str = "127.0.0.1",
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        start_timeout: float = 20.0,
        stop_timeout: float = 5.0,
    ) -> None:
        self.command, self.host, self.port, self.log_file = list(command), host, port, log_file
        self._env = None if env is None else {**os.environ, **env}
        self._cwd, self._start_timeout, self._stop_timeout = cwd, start_timeout, stop_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        if self._process is not None:
            raise LocalProcessError(f"{self._name} is already started")
        if port_accepts(self.host, self.port):
            raise LocalProcessError(f"{self.host}:{self.port} is already taken; {self._name} would not own it")
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_file.open("ab")
        # A session of its own, so that stopping it reaches whatever it forks, and Ctrl-C in a shell doesn't.
        self._process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self._env,
            cwd=self._cwd,
            start_new_session=True,
        )
        try:
            self._wait_until_listening()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> int | None:
        """Stop the process (SIGTERM, then SIGKILL) and return its exit status; a no-op if never started."""
        process, self._process = self._process, None
        if process is None:
            return None
        try:
            if process.poll() is None:
                self._signal(process, signal.SIGTERM)
                try:
                    process.wait(self._stop_timeout)
                except subprocess.TimeoutExpired:
                    self._signal(process, signal.SIGKILL)
                    process.wait(self._stop_timeout)
            return process.returncode
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None

    def kill(self) -> None:
        """SIGKILL at once, as a crash or a lost machine would end it: no shutdown of any kind."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            self._signal(process, signal.SIGKILL)
        process.wait(self._stop_timeout)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def _name(self) -> str:
        return f"`{' '.join(self.command)}`"

    def _wait_until_listening(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self._start_timeout
        while not port_accepts(self.host, self.port):
            status = self._process.poll()
            if status is not None:
                raise LocalProcessError(f"{self._name} exited with status {status} before listening{self._tail()}")
            if time.monotonic() > deadline:
                raise LocalProcessError(
                    f"{self._name} did not listen on {self.host}:{self.port} within {self._start_timeout} s"
                    f"{self._tail()}"
                )
            time.sleep(0.05)

    def _tail(self) -> str:
        if self._log is not None:
            self._log.flush()
        tail = self.log_tail()
        return f"; last lines of {self.log_file}:\n{tail}" if tail else f"; {self.log_file} is empty"

    @staticmethod
    def _signal(process: "subprocess.Popen[bytes]", signum: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)
