"""`manage.py serve`: the one command that starts Toolcrib.

It starts the embedded PostgreSQL (unless DATABASE_URL is set), applies migrations, makes the
first admin, reports the model, then runs gunicorn (or, with --dev, Django's autoreloading
runserver) as a child process, and beside it the marking reader (`manage.py read_markings
--loop`, at nice 19: the OCR never runs in a web request), and watches them: a dead PostgreSQL
is started again (requests meanwhile get 503, see toolcrib/database_outage.py), a dead reader
too, and stopping serve (Ctrl-C, SIGTERM) stops the web server, the reader and the PostgreSQL
that serve started. Both children watch serve: if it is killed outright, they stop.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from inference import runtime
from toolcrib.crib.models import CribSettings
from toolcrib.gunicorn_conf import default_workers
from toolcrib.lib.embedded_db import EmbeddedPostgres

WATCH_SECONDS = 0.5
READER_RESTART_SECONDS = 5.0
# The marking reader (toolcrib/crib/marking_reader.py): the OCR, at low CPU priority.
READER = [sys.executable, "manage.py", "read_markings", "--loop"]


class Stop(BaseException):
    """Ctrl-C or SIGTERM: leave the supervising loop and stop what serve started. Not an
    Exception (as KeyboardInterrupt is not): the supervisor's catch-all around a database
    restart swallowed it, and a Ctrl-C that came during a restart was ignored (CI saw serve
    not stop within 60 s after another serve had stopped the shared PostgreSQL)."""


_stopping = False


def _stop_on_signal(signum, frame):
    # Once: a second signal (`uv run` passes the terminal's Ctrl-C on, so serve may get two at
    # once) must not break into the stopping itself before it ignores further signals.
    global _stopping
    if not _stopping:
        _stopping = True
        raise Stop


class Command(BaseCommand):
    help = (
        "Start Toolcrib: database, migrations, the kit's tool types, a first admin, and the "
        "web server (gunicorn; --dev: Django's autoreloading development server)."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--dev", action="store_true", help="Django's runserver, reloading on code changes"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.TOOLCRIB_WORKERS or default_workers(),
            help="gunicorn worker processes (default TOOLCRIB_WORKERS or 2 x cores + 1)",
        )

    def handle(self, *args, addrport, dev, workers, **options):
        host, port = _split(addrport)
        signal.signal(signal.SIGTERM, _stop_on_signal)
        # Ctrl-C too, even when started with SIGINT ignored (as a shell's background job is).
        signal.signal(signal.SIGINT, _stop_on_signal)
        database = EmbeddedPostgres(settings.EMBEDDED_DB_DIR) if settings.EMBEDDED_DB_DIR else None
        child = self.reader = None
        try:
            if database:
                self._start_or_adopt(database)
            self._prepare(f"{host}:{port}")
            if dev:
                command = [sys.executable, "manage.py", "runserver", f"{host}:{port}"]
                what = "Django's development server, reloading on code changes"
            else:
                command = [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "toolcrib.wsgi:application",
                    "--config",
                    "python:toolcrib.gunicorn_conf",
                    "--bind",
                    f"{host}:{port}",
                    "--workers",
                    str(workers),
                ]
                what = f"gunicorn, {workers} workers"
            child = _start(command)
            self.reader = _start(READER)
            self._wait_until_listening(child, host, port)
            self.stdout.write(
                f"Serving http://{host}:{port}/ ({what}). The marking reader runs beside it "
                f"(pid {self.reader.pid}, nice 19). Stop with Ctrl-C."
            )
            self.stdout.flush()
            self._supervise(child, database)
        except Stop:
            pass
        finally:
            # A second Ctrl-C or SIGTERM must not interrupt the stopping itself.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            _stop_child(child)
            _stop_child(self.reader)
            if database and database.leave():
                _owner_file(database).unlink(missing_ok=True)
                self.stdout.write("Stopped the embedded PostgreSQL.")
        if child is not None and child.returncode not in (0, -signal.SIGINT, -signal.SIGTERM):
            raise CommandError(f"the web server stopped with exit code {child.returncode}")

    def _start_or_adopt(self, database: EmbeddedPostgres) -> None:
        """Start the embedded PostgreSQL, or use the one running. One that a serve killed without
        a chance to stop it left running (its pid is in the owner file, and it is dead) is taken
        over, and said so. Whoever of its users (this serve, a second one, a `manage.py`
        command, a test run) leaves last stops it (EmbeddedPostgres.leave)."""
        owner = _owner_file(database)
        database.join()
        if not database.start():
            try:
                earlier = int(owner.read_text())
            except (OSError, ValueError):
                return
            if earlier == os.getpid() or _alive(earlier):
                return
            self.stdout.write(
                f"The embedded PostgreSQL was left running by a serve (pid {earlier}) that was "
                "killed: this serve takes it over and stops it at the end."
            )
        owner.write_text(str(os.getpid()))

    def _prepare(self, address):
        call_command("migrate", interactive=False, verbosity=0)
        CribSettings.current()
        self._first_admin(address)
        # Load (or fetch) the model now, so a broken or missing file is reported at start-up.
        status = runtime.model_status()
        self.stdout.write(
            status.message if status.available else self.style.WARNING(status.message)
        )
        # The web server has its own connections; this process only watches.
        connections.close_all()

    def _wait_until_listening(self, child, host, port):
        # Ready when a page comes back, not merely when the port is open.
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1"
        url = f"http://{f'[{host}]' if ':' in host else host}:{port}/accounts/login/"
        while child.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=60):
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.2)
        raise CommandError(f"the web server did not start (exit code {child.returncode})")

    def _supervise(self, child, database):
        """Until the web server stops: start the embedded PostgreSQL again when it dies, and
        the marking reader (`self.reader`; at most every READER_RESTART_SECONDS)."""
        reader_started = time.monotonic()
        while child.poll() is None:
            time.sleep(WATCH_SECONDS)
            again = time.monotonic() - reader_started >= READER_RESTART_SECONDS
            if self.reader.poll() is not None and again:
                self.stderr.write(
                    f"The marking reader stopped (exit code {self.reader.returncode}); "
                    "starting it again."
                )
                self.reader, reader_started = _start(READER), time.monotonic()
            if database is None or database.pid() is not None:
                continue
            self.stderr.write("The embedded PostgreSQL stopped; starting it again.")
            try:
                database.start()
                self.stderr.write("The embedded PostgreSQL is back.")
            except Exception as e:  # the supervisor must outlive any failure
                # e.g. the old server's processes still hold its shared memory, or it died
                # again while starting: try again.
                self.stderr.write(f"Could not start it yet ({e}); trying again.")
                time.sleep(1)

    def _first_admin(self, address):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write(f"Toolcrib: http://{address}/ (log in with your account)")
            return
        # No password in the code: a random one, shown this once.
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", password=password)
        line = "=" * 64
        self.stdout.write(
            f"{line}\nToolcrib: http://{address}/\nFirst start: log in as  admin  with password  {password}\n"
            f"It is shown only now. Change it under Admin > Users, and add your crib's users there.\n{line}"
        )


def _split(addrport: str) -> tuple[str, int]:
    host, _, port = addrport.rpartition(":")
    try:
        return (host or "127.0.0.1").strip("[]"), int(port)
    except ValueError:
        raise CommandError(f"{addrport!r}: expected HOST:PORT or PORT") from None


def _owner_file(database: EmbeddedPostgres) -> Path:
    """Which serve started the embedded PostgreSQL (beside its data folder, not in it)."""
    return database.data_dir.parent / "serve.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _start(command: list[str]) -> subprocess.Popen:
    """A child in its own process group (serve decides when and how it stops: _stop_child),
    told serve's pid so that it stops when serve is gone."""
    return subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        start_new_session=True,
        env={**os.environ, "TOOLCRIB_SERVE_PID": str(os.getpid())},
    )


def _stop_child(child):
    if child is None or child.poll() is not None:
        return
    # gunicorn stops gracefully on SIGTERM; runserver's reloader leaves its child running
    # unless the whole group is told.
    os.killpg(child.pid, signal.SIGTERM)
    try:
        child.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
