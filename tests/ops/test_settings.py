"""Settings only read and check configuration: loading them starts no database, and a bad
value of any setting, inference's included, stops start-up with a message naming it."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def run(code_or_command, env, *, python=False):
    argv = [sys.executable, "-c", code_or_command] if python else [sys.executable, "manage.py"]
    if not python:
        argv += code_or_command.split()
    return subprocess.run(
        argv,
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_loading_the_settings_starts_no_database(pg_tmp):
    env = {"TOOLCRIB_VAR": str(pg_tmp / "var"), "DJANGO_SETTINGS_MODULE": "toolcrib.settings"}
    env.pop("DATABASE_URL", None)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['HOST'])"
    loaded = run(code, {**env, "DATABASE_URL": ""}, python=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == str((pg_tmp / "var" / "pgdata").resolve())
    assert not (pg_tmp / "var" / "pgdata").exists()


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("TOOLCRIB_ROTATION", "sideways", "expected one of none, tta, canonical"),
        ("TOOLCRIB_MAX_PHOTO_PIXELS", "lots", "expected a whole number"),
        ("TOOLCRIB_MODEL_SHA256", "abc", "expected 64 hex digits"),
        ("TOOLCRIB_TABLE", "velvet", "expected one of border, saliency"),
        ("TOOLCRIB_MASK_MODEL_SHA256", "abc", "expected 64 hex digits"),
        ("TOOLCRIB_WORKERS", "many", "expected a whole number"),
    ],
)
def test_a_bad_value_stops_start_up(pg_tmp, name, value, message):
    checked = run("check", {"TOOLCRIB_VAR": str(pg_tmp / "var"), name: value})
    assert checked.returncode != 0
    assert f"{name}={value!r}: {message}" in checked.stderr
