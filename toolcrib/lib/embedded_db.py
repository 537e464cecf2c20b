"""The embedded PostgreSQL (with pgvector) used when DATABASE_URL is not set.

pgserver ships PostgreSQL 16 with pgvector as a wheel. Its data directory lives under var/ and is
kept across restarts; the server stops when the last process that opened it exits.
"""

import logging
import subprocess
import time
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

DATABASE_NAME = "toolcrib"


def start(data_dir: Path) -> dict:
    """Start (or join) the server on `data_dir` and return Django's DATABASES entry for it."""
    import psycopg

    with warnings.catch_warnings():
        # pgserver falls back to /tmp for its lock file when XDG_RUNTIME_DIR is unset; that is fine.
        warnings.simplefilter("ignore")
        import pgserver

    # pgserver needs the parent to exist; as root it runs postgres as the OS user `pgserver`.
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = pgserver.get_server(data_dir, cleanup_mode="stop")
    except subprocess.TimeoutExpired:
        # pgserver gives pg_ctl 10 s; on a loaded machine the server may need longer to come
        # up. It keeps starting in the background: the second call finds it running.
        log.warning("the embedded PostgreSQL is slow to start; waiting for it once more")
        pgserver.PostgresServer._instances.pop(data_dir.resolve(), None)  # the failed handle
        time.sleep(5)
        server = pgserver.get_server(data_dir, cleanup_mode="stop")
    info = server.get_postmaster_info()
    params = {
        "HOST": str(info.socket_dir),
        "PORT": str(info.port or 5432),
        "USER": "postgres",
        "PASSWORD": "",
    }
    with psycopg.connect(
        host=params["HOST"],
        port=params["PORT"],
        user="postgres",
        dbname="postgres",
        autocommit=True,
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            log.info("creating database %s in %s", DATABASE_NAME, data_dir)
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return {"ENGINE": "django.db.backends.postgresql", "NAME": DATABASE_NAME, **params}
