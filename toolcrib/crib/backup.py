"""One archive holds a whole installation: the database (pg_dump), every stored photo, the
secret key, the model's sha256, and a manifest with counts and checksums to verify a restore.

The photos are read and written through Django's storage, so the same code backs up and
restores a local folder or an S3 bucket. Used by `manage.py backup` and `manage.py restore`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection

from toolcrib.crib.models import CalibrationRecord, Photo
from toolcrib.lib.embedded_db import bin_dir

FORMAT = "toolcrib.backup/1"
MANIFEST = "manifest.json"
DUMP = "database.dump"
SECRET = "secret_key"
PHOTOS = "photos/"


class BackupError(Exception):
    """Why a backup or a restore cannot go on; fit to show the operator."""


# -- the database ----------------------------------------------------------------------------
def _pg_program(name: str) -> str:
    """pg_dump / pg_restore: the embedded server's (PostgreSQL 16), or the PATH's when the
    server is newer than those (pg_dump must not be older than the server)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        server = int(cursor.fetchone()[0])
    bundled = bin_dir() / name
    if server < 170000 and bundled.exists():
        return str(bundled)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"the server is PostgreSQL {server // 10000}: install its {name}")
    return found


def _connection_args() -> tuple[list[str], dict]:
    db = connection.settings_dict
    args = ["-h", db["HOST"] or "localhost", "-U", db["USER"] or "postgres", "-d", db["NAME"]]
    if db["PORT"]:
        args += ["-p", str(db["PORT"])]
    env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
    return args, env


def _run(argv: list[str], env: dict) -> None:
    run = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed: {run.stderr.strip()[-2000:]}")


def table_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


# -- writing ---------------------------------------------------------------------------------
def write_backup(path: Path, model_sha256: str | None) -> dict:
    """Write the archive to `path` (through a temporary name: a failed backup leaves no
    half-written archive) and return its manifest."""
    connection.ensure_connection()
    photos = {}
    partial = path.with_name(path.name + ".partial")
    with tempfile.TemporaryDirectory() as scratch:
        dump = Path(scratch) / DUMP
        args, env = _connection_args()
        # Counts first, in the same instant as the dump as far as a quiet crib goes.
        counts = table_counts()
        _run([_pg_program("pg_dump"), "-Fc", "--no-owner", "-f", str(dump), *args], env)
        try:
            with tarfile.open(partial, "w") as tar:
                tar.add(dump, DUMP)
                _add_bytes(tar, SECRET, settings.SECRET_KEY.encode())
                for name in stored_names():
                    if name in photos:
                        continue
                    try:
                        with default_storage.open(name, "rb") as f:
                            data = f.read()
                    except FileNotFoundError:
                        raise BackupError(f"file {name} is missing from storage") from None
                    photos[name] = {"sha256": _sha256(data), "size": len(data)}
                    _add_bytes(tar, PHOTOS + name, data)
                manifest = {
                    "format": FORMAT,
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "tables": counts,
                    "database_sha256": _sha256(dump.read_bytes()),
                    "photos": photos,
                    "secret_key_sha256": _sha256(settings.SECRET_KEY.encode()),
                    "model_sha256": model_sha256,
                }
                _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1).encode())
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def stored_names():
    """Every file a record keeps: photos, then calibration certificates. The manifest lists
    them all under "photos" (the format's key since before certificates)."""
    yield from Photo.objects.order_by("pk").values_list("image", flat=True)
    yield from (
        CalibrationRecord.objects.exclude(certificate="")
        .order_by("pk")
        .values_list("certificate", flat=True)
    )


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- restoring -------------------------------------------------------------------------------
def read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        manifest = json.load(tar.extractfile(MANIFEST))
    except (KeyError, ValueError):
        raise BackupError("not a Toolcrib backup: it has no readable manifest") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def check_empty() -> None:
    """Restore only into an empty installation: nothing to overwrite, nothing to merge."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if tables:
        raise BackupError(
            f"the database is not empty ({len(tables)} tables): restore needs a new, empty "
            "database (for the embedded one: stop Toolcrib and move the var/ folder away)"
        )
    for folder in ("photos", "certificates"):
        if default_storage.exists(folder) and any(default_storage.listdir(folder)):
            raise BackupError(f"the storage already holds {folder}/: restore needs it empty")


def restore_backup(path: Path) -> tuple[dict, dict[str, int]]:
    """Restore the archive at `path`; return its manifest and the counts found afterwards."""
    try:
        tar = tarfile.open(path, "r")  # noqa: SIM115 - closed by the `with` below
    except (OSError, tarfile.TarError) as e:
        raise BackupError(f"cannot read {path}: {e}") from None
    with tar, tempfile.TemporaryDirectory() as scratch:
        manifest = read_manifest(tar)
        check_empty()
        dump = Path(scratch) / DUMP
        dump.write_bytes(tar.extractfile(DUMP).read())
        if _sha256(dump.read_bytes()) != manifest["database_sha256"]:
            raise BackupError("the database dump does not match its checksum in the manifest")
        photos = {}
        for name, expected in manifest["photos"].items():
            data = tar.extractfile(PHOTOS + name).read()
            if _sha256(data) != expected["sha256"]:
                raise BackupError(f"photo {name} does not match its checksum in the manifest")
            photos[name] = data
        _restore_database(dump, Path(scratch))
        for name, data in photos.items():
            saved = default_storage.save(name, ContentFile(data))
            if saved != name:
                raise BackupError(f"photo {name} was stored as {saved}")
        counts = table_counts()
        return manifest, counts


def _restore_database(dump: Path, scratch: Path) -> None:
    args, env = _connection_args()
    pg_restore = _pg_program("pg_restore")
    # The extension is the database administrator's (CREATE EXTENSION needs rights a crib's
    # role need not have): make it if we may, otherwise it must be there already.
    with connection.cursor() as cursor:
        with contextlib.suppress(DatabaseError):  # judged just below, by whether it exists
            cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'")
        if cursor.fetchone() is None:
            raise BackupError(
                "the database lacks the vector extension: a superuser runs CREATE EXTENSION vector"
            )
    listing = subprocess.run(
        [pg_restore, "-l", str(dump)], capture_output=True, text=True, check=True
    ).stdout
    wanted = scratch / "restore.list"
    wanted.write_text(
        "\n".join(line for line in listing.splitlines() if " EXTENSION " not in line) + "\n"
    )
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "-L",
            str(wanted),
            *args,
            str(dump),
        ],
        env,
    )
