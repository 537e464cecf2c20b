"""The marking reader's queue: a box whose marking is wanted is a BoxMarking row without a
reading, and a NOTIFY wakes the reader (marking_reader.py). Apart from the reader so that
the modules that queue (recognition, services) never import the reader, which calls them."""

from __future__ import annotations

import time
from collections.abc import Sequence

from django.db import connection

from inference import turned
from inference.turned import Box
from toolcrib.crib.models import BoxMarking, Photo, box_fields

CHANNEL = "toolcrib_markings"


def queue(photo: Photo, boxes: Sequence[Box], key: str) -> None:
    """Ask the reader for these boxes' markings under the rules `key` (rows kept or queued
    already are left as they are) and wake it."""
    rows = [
        BoxMarking(photo=photo, **box_fields(b), rules=key)
        for b in dict.fromkeys(turned.plain(b) for b in boxes)
    ]
    if not rows:
        return
    BoxMarking.objects.bulk_create(rows, ignore_conflicts=True)
    with connection.cursor() as cursor:  # delivered when the request's transaction commits
        cursor.execute("SELECT pg_notify(%s, '')", [CHANNEL])


def pending(photo: Photo | None = None) -> int:
    """How many boxes wait for the reader (of one photo, or of all)."""
    rows = BoxMarking.objects.filter(reading__isnull=True)
    return (rows if photo is None else rows.filter(photo=photo)).count()


def wait_for(photo: Photo, boxes: Sequence[Box], key: str, seconds: float) -> None:
    """Wait (idle, polling the database) until the reader has read these boxes, at most
    `seconds`: for `markings: "wait"` callers. The OCR itself runs in the reader."""
    wanted = {turned.plain(b) for b in boxes}
    deadline = time.monotonic() + seconds
    while True:
        read = {
            row.box
            for row in BoxMarking.objects.filter(
                photo=photo, rules=key, reading__isnull=False
            ).only("x0", "y0", "x1", "y1", "angle")
        }
        if wanted <= read or time.monotonic() >= deadline:
            return
        time.sleep(0.2)
