"""nx-27017, the embedded MongoDB-wire-compatible server backed by SQLite, run as a local child process."""

import os
import shutil
import sys
from pathlib import Path
from types import TracebackType
from typing import Self

from pymongo import MongoClient

from adapters.local_process import LocalProcess, free_port, port_accepts

_EXECUTABLE = "nx-27017"
_HOST = "127.0.0.1"


def nx_27017_executable() -> str:
    """The server installed next to this interpreter (the virtualenv's bin), else the one on PATH."""
    beside = Path(sys.executable).parent / _EXECUTABLE
    if beside.exists():
        return str(beside)
    found = shutil.which(_EXECUTABLE)
    if found is None:
        raise FileNotFoundError(f"{_EXECUTABLE} is neither next to {sys.executable} nor on PATH")
    return found


class EmbeddedMongo:
    """An nx-27017 server keeping its databases, logs and pid file under `data_dir`.

    It runs with --data-dir (one SQLite file per logical database) rather than a single --db file: in the
    single-file mode every logical database shares one namespace, so the same collection and index in two
    databases collide, which MongoDB never does.
    """

    def __init__(self, data_dir: Path, *, port: int | None = None, start_timeout: float = 20.0) -> None:
        self.data_dir, self._port, self._start_timeout = data_dir, port, start_timeout
        self._process: LocalProcess | None = None

    @property
    def port(self) -> int:
        if self._process is None:
            raise RuntimeError("the embedded MongoDB server is not started")
        return self._process.port

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.running

    @property
    def url(self) -> str:
        return f"mongodb://{_HOST}:{self.port}"

    def start(self) -> Self:
        if self._process is not None:
            raise RuntimeError("the embedded MongoDB server is already started")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        port = self._port or free_port(_HOST)
        # Its own log and pid files: the defaults under /tmp would be shared by every instance on the machine.
        command = [
            nx_27017_executable(),
            "--data-dir", str(self.data_dir / "databases"),
            "--host", _HOST,
            "-p", str(port),
            "--log-file", str(self.data_dir / "nx-27017.log"),
            "--pid-file", str(self.data_dir / "nx-27017.pid"),
        ]  # fmt: skip
        process = LocalProcess(
            command, port=port, log_file=self.data_dir / "nx-27017.out", start_timeout=self._start_timeout
        )
        process.start()
        self._process = process
        try:
            self._ping()
        except BaseException:
            self.stop()
            raise
        # Read by running_url(): a CLI command run beside the gateway joins this server instead of failing.
        self._port_file.write_text(str(port))
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            self._port_file.unlink(missing_ok=True)
            process.stop()

    def running_url(self) -> str | None:
        """The URL of a server another process already runs on `data_dir`, or None when there is none.

        nx-27017 refuses to start a second server on the same files, so this is how a second process shares them."""
        try:
            pid = int((self.data_dir / "nx-27017.pid").read_text().strip())
            port = int(self._port_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if not _alive(pid) or not port_accepts(_HOST, port):
            return None
        return f"mongodb://{_HOST}:{port}"

    @property
    def _port_file(self) -> Path:
        return self.data_dir / "port"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _ping(self) -> None:
        """Listening is not answering: make sure it speaks the wire protocol before anyone relies on it."""
        client: MongoClient[dict[str, object]] = MongoClient(
            self.url, serverSelectionTimeoutMS=int(self._start_timeout * 1000)
        )
        try:
            client.admin.command("ping")
        finally:
            client.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
