"""Back up, wipe the installation, restore into an empty one: every table row and every photo
comes back as it was. Real commands in subprocesses, the embedded PostgreSQL, real photos and
the real model (issue features are pgvector columns)."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import (
    ROOT,
    copy_migrated,
    need_model,
    need_shared_photos,
    new_bucket,
    scratch_pg_folder,
)

pytestmark = [pytest.mark.model, pytest.mark.photos]

POPULATE = """
from django.contrib.auth.models import Group, User
from toolcrib.crib import services
from toolcrib.crib.models import Engineer, ToolInstance, ToolType

keeper = User.objects.create_user("stella", password="crib-pass-123")
keeper.groups.add(Group.objects.get(name="storekeeper"))
olga = Engineer.objects.create(badge_number="E7", name="Olga")
lines = []
for number, (photo, box, kind) in enumerate(PHOTOS):
    tool = ToolInstance.objects.create(
        inventory_number=f"AT-{number}", tool_type=ToolType.objects.get(model_class_index=kind)
    )
    stored = services.store_photo(open(photo, "rb").read(), user=keeper)
    lines.append(services.ToolLine(tool, stored, box))
services.issue_tools(engineer=olga, storekeeper=keeper, lines=lines)
from datetime import date, timedelta
from django.core.files.uploadedfile import SimpleUploadedFile
from toolcrib.crib import metrology
metrology.record_calibration(
    tool,
    metrology.Calibrated(date.today(), date.today() + timedelta(days=365), "C-1", "Lab"),
    certificate=SimpleUploadedFile("c.pdf", b"%PDF-1.4 certificate"),
    user=keeper,
)
"""

SNAPSHOT = """
import hashlib, json
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from toolcrib.crib.backup import stored_names

tables = {}
with connection.cursor() as cursor:
    for table in sorted(connection.introspection.table_names(cursor)):
        cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')
        tables[table] = [[str(v) for v in row] for row in cursor.fetchall()]
photos = {
    name: hashlib.sha256(default_storage.open(name).read()).hexdigest()
    for name in stored_names()
}
print(json.dumps({"tables": tables, "photos": photos, "key": settings.SECRET_KEY}))
"""


def manage(*args, env, ok=True):
    run = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={k: v for k, v in env.items() if isinstance(v, str)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if ok:
        assert run.returncode == 0, run.stdout + "\n".join(run.stderr.splitlines()[-25:])
    return run


def snapshot(env):
    return json.loads(manage("shell", "-c", SNAPSHOT, env=env).stdout.splitlines()[-1])


@pytest.fixture(scope="module", params=["local folder", "object store"])
def populated(request, s3_server, migrated_pgdata):
    """An installation (a copy of the migrated database) populated once per module (the model
    computes the issue's features in a subprocess: most of a test's time), at rest (its
    PostgreSQL stopped by the last command); each test works on a copy of it (`installation`)."""
    need_model()
    photos = need_shared_photos()
    with scratch_pg_folder() as folder:
        env = {**os.environ, "TOOLCRIB_VAR": str(folder / "var")}
        env.pop("DATABASE_URL", None)
        env.pop("SECRET_KEY", None)
        if request.param == "object store":
            bucket = new_bucket(s3_server)
            env.update({k: v for k, v in bucket.items() if k.startswith("TOOLCRIB_")})
            env["bucket"] = bucket
        copy_migrated(migrated_pgdata, folder / "var")
        chosen = [
            (str(photos / "single/5_safety_pliers__black.jpg"), 4),
            (str(photos / "catalog/11_side_cutters.jpg"), 10),
        ]
        boxes = {}
        with open(ROOT / "bench" / "shared_boxes.csv") as f:
            for row in f.read().splitlines()[1:]:
                name, *box = row.split(",")
                boxes[str(photos / name)] = tuple(int(v) for v in box)
        spec = [(path, boxes[path], kind) for path, kind in chosen]
        manage("shell", "-c", f"PHOTOS = {spec!r}\n{POPULATE}", env=env)
        yield env


@pytest.fixture
def installation(populated, pg_tmp, s3_server):
    """A copy of the populated installation of its own for this test: its folder (database,
    photos, key: `cp -a` keeps the owner postgres runs as) and, for the object store, its
    objects in a new bucket."""
    env = {**populated, "TOOLCRIB_VAR": str(pg_tmp / "var")}
    subprocess.run(["cp", "-a", populated["TOOLCRIB_VAR"], env["TOOLCRIB_VAR"]], check=True)
    if "bucket" in populated:
        source, bucket = populated["bucket"], new_bucket(s3_server)
        for item in source["client"].list_objects_v2(Bucket=source["TOOLCRIB_S3_BUCKET"])[
            "Contents"
        ]:
            bucket["client"].copy_object(
                Bucket=bucket["TOOLCRIB_S3_BUCKET"],
                Key=item["Key"],
                CopySource={"Bucket": source["TOOLCRIB_S3_BUCKET"], "Key": item["Key"]},
            )
        env.update({k: v for k, v in bucket.items() if k.startswith("TOOLCRIB_")})
        env["bucket"] = bucket
    return env


def wipe(env, var):
    """Everything gone: the database, the photos (folder or bucket) and the key."""
    shutil.rmtree(var)
    bucket = env.get("bucket")
    if bucket:
        name = bucket["TOOLCRIB_S3_BUCKET"]
        listed = bucket["client"].list_objects_v2(Bucket=name).get("Contents", [])
        assert len(listed) == 3  # photos and certificate were in the bucket, not under var/
        for item in listed:
            bucket["client"].delete_object(Bucket=name, Key=item["Key"])


def test_a_restore_into_a_wiped_installation_gives_back_every_row_and_photo(installation, pg_tmp):
    env = installation
    before = snapshot(env)
    assert len(before["photos"]) == 3 and len(before["tables"]["crib_issuedtool"]) == 2
    assert any(name.startswith("certificates/") for name in before["photos"])
    archive = pg_tmp / "crib.tar"

    out = manage("backup", str(archive), env=env).stdout
    assert (
        "and 3 stored files (photos, certificates) to" in out
        and archive.stat().st_mode & 0o077 == 0
    )

    wipe(env, pg_tmp / "var")
    out = manage("restore", str(archive), env=env).stdout

    assert "the counts match the manifest" in out
    after = snapshot(env)
    assert after["photos"] == before["photos"]
    assert after["key"] == before["key"]
    for table, rows in before["tables"].items():
        assert after["tables"][table] == rows, table
    assert after["tables"].keys() == before["tables"].keys()


def test_restore_refuses_an_installation_that_is_in_use(installation, pg_tmp):
    archive = pg_tmp / "crib.tar"
    manage("backup", str(archive), env=installation)
    before = snapshot(installation)

    refused = manage("restore", str(archive), env=installation, ok=False)

    assert refused.returncode != 0
    assert "the database is not empty" in refused.stderr
    assert snapshot(installation) == before
    not_a_backup = pg_tmp / "notes.tar"
    not_a_backup.write_bytes(b"not an archive at all")
    refused = manage("restore", str(not_a_backup), env=installation, ok=False)
    assert "cannot read" in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.parametrize("populated", ["local folder"], indirect=True)
def test_a_backup_of_the_embedded_database_restores_into_a_database_url(installation, pg_tmp):
    """Moving to a PostgreSQL of one's own: restore into an empty DATABASE_URL database."""
    from urllib.parse import quote

    import psycopg

    from toolcrib.lib.embedded_db import PORT, EmbeddedPostgres

    env = installation
    before = snapshot(env)
    archive = pg_tmp / "crib.tar"
    manage("backup", str(archive), env=env)

    other = EmbeddedPostgres(pg_tmp / "own-server")  # stands for the crib's own PostgreSQL
    other.start()
    try:
        with psycopg.connect(
            host=str(other.sockets), port=PORT, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute('CREATE DATABASE "crib"')
        url = f"postgresql://postgres@{quote(str(other.sockets), safe='')}:{PORT}/crib"
        moved = {**env, "DATABASE_URL": url, "TOOLCRIB_VAR": str(pg_tmp / "new-var")}

        out = manage("restore", str(archive), env=moved).stdout

        assert "the counts match the manifest" in out
        after = snapshot(moved)
        for table, rows in before["tables"].items():
            assert after["tables"][table] == rows, table
        assert after["photos"] == before["photos"]
    finally:
        other.stop()
