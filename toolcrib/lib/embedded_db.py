"""The embedded PostgreSQL (with pgvector) used when DATABASE_URL is not set.

pgserver ships PostgreSQL 16 with pgvector as a wheel; we use its binaries and run them
ourselves. The data folder lives under var/ and is kept across restarts.

Settings only *describe* the server (`database_settings`, no side effect). Starting it is the
job of whoever needs it: `manage.py serve` (which also supervises it), the test setup and the
management commands (`running()`). Each of them holds a shared lock on the folder's users file
while it needs the server, and the last to leave stops it (`leave`): a command that started it
no longer stops it under a test run or a serve that came after it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

DATABASE_NAME = "toolcrib"
PORT = 5432
# Unix socket paths are limited to 107 bytes (sun_path).
_MAX_SOCKET_PATH = 100
# The OS user postgres runs as when we are root (postgres refuses to run as root).
_SYSTEM_USER = "pgserver"


def bin_dir() -> Path:
    with warnings.catch_warnings():
        # pgserver falls back to /tmp for its lock file when XDG_RUNTIME_DIR is unset; that is fine.
        warnings.simplefilter("ignore")
        import pgserver._commands
    return pgserver._commands.POSTGRES_BIN_PATH


def socket_dir(data_dir: Path) -> Path:
    """Where the server's socket is: the data folder itself, or a short folder under /tmp named
    after it when its path is too long for a socket. The same answer every time (settings use it)."""
    data_dir = data_dir.resolve()
    if len(str(data_dir / f".s.PGSQL.{PORT}")) <= _MAX_SOCKET_PATH:
        return data_dir
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"toolcrib-pg-{digest}"


def database_settings(data_dir: Path) -> dict:
    """Django's DATABASES entry for the embedded server on `data_dir` (nothing is started)."""
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "HOST": str(socket_dir(data_dir)),
        "PORT": str(PORT),
        "USER": "postgres",
        "PASSWORD": "",
    }


class EmbeddedPostgres:
    """One data folder: start, stop, and whether its postmaster is alive."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir.resolve()
        self.sockets = socket_dir(self.data_dir)
        self.log_file = self.data_dir / "log"
        self._as_user = _SYSTEM_USER if os.geteuid() == 0 else None
        self._users = None  # the users file, locked shared while this process uses the server

    # -- state -------------------------------------------------------------------------------
    def pid(self) -> int | None:
        """The postmaster's pid if it is alive (a zombie or a stale pid file counts as dead)."""
        import psutil

        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None
        try:
            process = psutil.Process(pid)
            alive = process.status() != psutil.STATUS_ZOMBIE and process.name() == "postgres"
        except psutil.Error:
            return None
        return pid if alive else None

    def wait_for_the_dead(self, timeout: float = 10) -> None:
        """After a crash: wait until the old postmaster is reaped (a zombie still holds its pid,
        and postgres refuses to start beside a pid that exists)."""
        import psutil

        try:
            old = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return
        deadline = time.monotonic() + timeout
        while psutil.pid_exists(old) and time.monotonic() < deadline:
            time.sleep(0.1)

    # -- start and stop ------------------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self):
        # Two processes starting the same folder at once (pytest and a `manage.py` it runs).
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with open(self._beside(".lock"), "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            yield

    def start(self, timeout: float = 120) -> bool:
        """Start the server unless it runs; True if this call started it."""
        with self._lock():
            if self.pid() is not None:
                return False
            self.wait_for_the_dead()
            self._prepare()
            # pgserver's list of the processes using the server: a pid left there by a crash
            # kept it from ever stopping. We do not use the list; a clean start drops it.
            (self.data_dir / ".handle_pids.json").unlink(missing_ok=True)
            self._run(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-w",
                "-t",
                str(int(timeout)),
                "-l",
                str(self.log_file),
                "-o",
                f'-h "" -k {self.sockets} -p {PORT}',
                "start",
            )
            self._beside(".started").touch()  # by one of its users: the last to leave stops it
            self._create_database()
            return True

    # -- who uses it -----------------------------------------------------------------------------
    def join(self) -> None:
        """This process uses the server until `leave` (or until it dies: the lock goes with it)."""
        if self._users is None:
            self.data_dir.parent.mkdir(parents=True, exist_ok=True)
            users = open(self._beside(".users"), "w")  # noqa: SIM115 (held until leave)
            fcntl.flock(users, fcntl.LOCK_SH)
            self._users = users

    def leave(self) -> bool:
        """This process no longer uses the server: stop it if no other process does and one of
        its users started it (not a PostgreSQL someone started by hand). True if stopped."""
        users, self._users = self._users, None
        if users is None:
            return False
        with users:
            fcntl.flock(users, fcntl.LOCK_UN)
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # another process still uses it: the last one stops it
            if not self._beside(".started").exists() or self.pid() is None:
                return False
            self.stop()  # a process joining now waits for the users lock, then starts it again
            return True

    def _beside(self, suffix: str) -> Path:
        return self.data_dir.parent / f".{self.data_dir.name}{suffix}"

    def stop(self) -> None:
        with self._lock():
            self._beside(".started").unlink(missing_ok=True)
            if self.pid() is None:
                return
            try:
                self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-m", "fast", "stop")
            except subprocess.CalledProcessError:
                log.warning("pg_ctl could not stop the embedded PostgreSQL; it may have died")

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(parents=True, exist_ok=True)
        if self._as_user:
            _let_postgres_user_in(self.data_dir, self.sockets)
        if not (self.data_dir / "PG_VERSION").exists():
            log.info("creating the embedded PostgreSQL in %s", self.data_dir)
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "--auth-local=trust",
                "--encoding=utf8",
                "-U",
                "postgres",
            )

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(
            host=str(self.sockets), port=PORT, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            if not conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
            ).fetchone():
                log.info("creating database %s in %s", DATABASE_NAME, self.data_dir)
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')

    def _run(self, program: str, *args: str) -> None:
        # Output to a file, not a pipe: pg_ctl's server keeps inherited pipes open forever.
        with tempfile.TemporaryFile("w+") as out:
            run = subprocess.run(
                [str(bin_dir() / program), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                user=self._as_user,
                cwd="/",
                check=False,
            )
            if run.returncode != 0:
                out.seek(0)
                log.error("%s failed:\n%s", program, out.read()[-3000:])
                if self.log_file.exists():
                    log.error("server log:\n%s", self.log_file.read_text()[-3000:])
                raise subprocess.CalledProcessError(run.returncode, run.args)


def _let_postgres_user_in(data_dir: Path, sockets: Path) -> None:
    """As root, postgres runs as the OS user `pgserver`: it must own its folders and reach them."""
    import pwd

    bin_dir()  # imports pgserver quietly
    from pgserver.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(_SYSTEM_USER)
    ensure_prefix_permissions(data_dir)
    ensure_prefix_permissions(bin_dir())
    ensure_folder_permissions(bin_dir(), 0o055)
    ensure_folder_permissions(bin_dir().parent / "lib", 0o044)
    user = pwd.getpwnam(_SYSTEM_USER)
    os.chown(data_dir, user.pw_uid, user.pw_gid)
    if sockets != data_dir:
        ensure_prefix_permissions(sockets)
        sockets.chmod(0o777)


@contextlib.contextmanager
def running(data_dir: Path | None):
    """The embedded server is up inside the block; stopped after it if no other process uses it
    (and one of its users started it). `None` (DATABASE_URL is set) does nothing."""
    if data_dir is None:
        yield None
        return
    server = EmbeddedPostgres(data_dir)
    server.join()
    try:
        server.start()
        yield server
    finally:
        server.leave()
