"""The embedded PostgreSQL keeps its data across restarts; DATABASE_URL switches to another server."""

import os
import subprocess
import sys

import psycopg

from tests.conftest import ROOT


def manage(*args, env):
    run = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, "\n".join(run.stderr.splitlines()[-25:])
    return run.stdout


def postgres_running(pgdata):
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().split()[0])
    return os.path.exists(f"/proc/{pid}")


def test_it_keeps_the_data_when_toolcrib_restarts(pg_tmp):
    env = {"TOOLCRIB_VAR": str(pg_tmp / "var")}
    env.pop("DATABASE_URL", None)
    manage("migrate", "-v0", env=env)
    manage(
        "shell",
        "-c",
        "from toolcrib.crib.models import Engineer; Engineer.objects.create(badge_number='B7', name='Olga')",
        env=env,
    )
    # The server stopped with the last process that used it...
    assert not postgres_running(pg_tmp / "var" / "pgdata")

    out = manage(
        "shell",
        "-c",
        "from toolcrib.crib.models import Engineer, ToolType; print(Engineer.objects.get(badge_number='B7').name, ToolType.objects.count())",
        env=env,
    )

    # ...and the next start finds the engineer and the kit's 11 tool types where they were.
    assert out.splitlines()[-1].split() == ["Olga", "11"]


def test_it_uses_the_server_that_database_url_names(pg_tmp):
    import pgserver

    external = pgserver.get_server(pg_tmp / "external", cleanup_mode="delete")
    try:
        env = {"DATABASE_URL": external.get_uri("postgres"), "TOOLCRIB_VAR": str(pg_tmp / "var")}
        manage("migrate", "-v0", env=env)

        with psycopg.connect(external.get_uri("postgres")) as conn:
            count = conn.execute("SELECT count(*) FROM crib_tooltype").fetchone()[0]
            extension = conn.execute(
                "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
            ).fetchone()
        assert count == 11 and extension is not None
        # No embedded server was started beside it.
        assert not (pg_tmp / "var" / "pgdata").exists()
    finally:
        external.cleanup()


def test_it_says_which_setting_is_wrong(pg_tmp):
    run = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TOOLCRIB_VAR": str(pg_tmp / "var"), "TOOLCRIB_LOAN_HOURS": "twelve"},
    )
    assert run.returncode != 0
    assert "TOOLCRIB_LOAN_HOURS='twelve': expected a whole number" in run.stderr
