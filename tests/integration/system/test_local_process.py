import socket
import sys
from pathlib import Path

import pytest

from adapters.local_process import LocalProcess, LocalProcessError, free_port

_SERVE = "import http.server as s; s.HTTPServer(('127.0.0.1', {port}), s.BaseHTTPRequestHandler).serve_forever()"


def test_a_process_is_ready_once_its_port_accepts_and_gone_once_stopped(tmp_path: Path) -> None:
    port = free_port()
    server = LocalProcess([sys.executable, "-c", _SERVE.format(port=port)], port=port, log_file=tmp_path / "out.log")

    with server:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass
        assert server.running

    assert not server.running
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_a_process_that_exits_early_is_reported_with_its_log(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import sys; print('bad configuration: no --db'); sys.exit(3)"]
    process = LocalProcess(command, port=free_port(), log_file=tmp_path / "out.log")

    with pytest.raises(LocalProcessError, match=r"(?s)status 3.*bad configuration: no --db"):
        process.start()

    assert not process.running


def test_a_process_that_never_listens_times_out_and_is_stopped(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import time; print('warming up', flush=True); time.sleep(60)"]
    process = LocalProcess(command, port=free_port(), log_file=tmp_path / "out.log", start_timeout=0.5)

    with pytest.raises(LocalProcessError, match=r"(?s)within 0.5 s.*warming up"):
        process.start()

    assert not process.running


def test_a_killed_process_is_gone_at_once_without_its_shutdown(tmp_path: Path) -> None:
    port = free_port()
    server = LocalProcess([sys.executable, "-c", _SERVE.format(port=port)], port=port, log_file=tmp_path / "out.log")
    server.start()

    server.kill()

    assert not server.running
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
