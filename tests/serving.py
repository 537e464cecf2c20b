"""The real `manage.py serve` in a subprocess on a free port, for tests and bench/load.py."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """One running `serve`: its URL, its output so far, and how to stop it."""

    def __init__(self, var: Path, env: dict, args=(), port: int | None = None):
        self.var = var
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "TOOLCRIB_VAR": str(var), "PYTHONUNBUFFERED": "1", **env}
        if "DATABASE_URL" not in env or not env["DATABASE_URL"]:
            env.pop("DATABASE_URL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "serve", f"127.0.0.1:{self.port}", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._lines: list[str] = []
        # Read the output all the time: a full pipe would block the server.
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self._lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self._lines)

    def forget_output(self) -> None:
        self._lines.clear()

    def wait_for(self, text: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"serve did not print {text!r}:\n{self.output}")

    def stop(self, sig=signal.SIGINT, timeout: float = 60) -> int:
        """Stop it as a terminal (SIGINT) or a process manager (SIGTERM) would."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError(f"serve did not stop on {sig!r}:\n{self.output}") from None


def start_s3_server() -> tuple[subprocess.Popen, str]:
    """A real S3 protocol server (moto's server mode) on 127.0.0.1: the process and its URL."""
    import urllib.request

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc, url


def postgres_pid(pgdata: Path) -> int | None:
    """The live postmaster of a data folder, if any."""
    from toolcrib.lib.embedded_db import EmbeddedPostgres

    return EmbeddedPostgres(pgdata).pid()
