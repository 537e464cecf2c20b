"""`manage.py sweep_photos` deletes the files of uploads refused half-way, and nothing else."""

import os
import time

import pytest
from django.core.management import call_command

from toolcrib.crib import services

pytestmark = pytest.mark.django_db


def test_it_deletes_only_old_files_that_no_photo_keeps(settings, jpeg, capsys):
    kept = services.store_photo(jpeg(64, 48))
    folder = settings.MEDIA_ROOT / "photos" / "2026" / "11" / "28"
    folder.mkdir(parents=True, exist_ok=True)
    orphan, fresh = folder / "orphan.jpg", folder / "in-flight.jpg"
    orphan.write_bytes(b"x")
    fresh.write_bytes(b"x")
    old = time.time() - 7200
    os.utime(orphan, (old, old))
    os.utime(kept.image.path, (old, old))

    call_command("sweep_photos")

    assert not orphan.exists()
    assert fresh.exists() and os.path.exists(kept.image.path)
    assert "1 photo file(s) kept by no record." in capsys.readouterr().out
