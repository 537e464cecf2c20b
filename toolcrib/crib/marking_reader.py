"""The marking reader: the markings (OCR, seconds a box) are read in their own process at low
CPU priority, never in a web request.

A request that needs a box's marking queues it (`queue`): a BoxMarking row without a reading.
The reader (`manage.py read_markings --loop`, which `manage.py serve` starts beside the web
server) claims the oldest pending row and the other pending rows of its photo (SELECT ... FOR
UPDATE SKIP LOCKED, then a session advisory lock per row), so several readers (two `serve` on one
database) share the queue and never read one box twice; it reads them READERS at a time with
inference.markings, and keeps each reading as soon as it is read, handing it to the lines
waiting for it (`services.marking_read`) in the same transaction: a reader that dies mid-read
leaves the rows pending for the next one. Between reads it sleeps on LISTEN (a queued box NOTIFYs), and polls
every POLL_SECONDS besides (a failed read's retry time, a lost notification).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import timedelta

import numpy as np
import psycopg
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from inference import markings, turned
from inference.turned import Box
from toolcrib.crib.marking_queue import CHANNEL
from toolcrib.crib.models import BoxMarking, CribSettings, Photo, box_fields

logger = logging.getLogger(__name__)

POLL_SECONDS = 2.0
BATCH = 16  # a kit photo's boxes, read READERS at a time
# A failed read (the OCR engine missing or failing) is tried again after these many seconds;
# after BoxMarking.MAX_ATTEMPTS the failure is kept as the reading.
RETRY_SECONDS = (10, 60)


class PhotoPixels:
    """The last photo decoded at full resolution: a photo's boxes are queued together, so the
    reader decodes each photo once, not once per box."""

    def __init__(self) -> None:
        self.photo_id: int | None = None
        self.rgb: np.ndarray | None = None

    def of(self, photo: Photo) -> np.ndarray:
        from toolcrib.crib.recognition import full_pixels, photo_bytes

        if self.photo_id != photo.pk or self.rgb is None:
            self.photo_id, self.rgb = None, None
            self.rgb = full_pixels(photo_bytes(photo))
            self.photo_id = photo.pk
        return self.rgb


def read_some(pixels: PhotoPixels | None = None) -> int:
    """Read the oldest pending box nobody else is reading, and with it the other pending boxes of
    its photo (up to BATCH), READERS at a time, each kept as soon as it is read so the page
    shows them one by one; how many were taken, 0 when none is pending."""
    pixels = pixels or PhotoPixels()
    photo, rows = _claim()
    if not rows:
        return 0
    patterns, min_partial = CribSettings.current().marking_rules()
    key = markings.rules_key(patterns, min_partial)
    held = {row.pk for row in rows}
    try:
        try:
            rgb = pixels.of(photo)
        except (OSError, ValueError) as e:
            failed = markings.Marking(status="failed", message=f"The photo could not be read: {e}")
            for row in rows:
                _keep_one(row, failed, key)
            return len(rows)
        boxes = [row.box for row in rows]
        for i, marking in markings.read_each(rgb, boxes, patterns, min_partial=min_partial):
            _keep_one(rows[i], marking, key)
            _unclaim([rows[i].pk])
            held.discard(rows[i].pk)
    finally:
        _unclaim(held)
    return len(rows)


# The boxes a reader is reading are claimed with a session-level advisory lock (class CLAIM,
# the row's id): each reading is committed as soon as it is read, which a row lock held for the
# whole photo would not allow, and a reader that dies (or loses its connection) lets go of them.
CLAIM = 7301


def _claim() -> tuple[Photo | None, list[BoxMarking]]:
    claimed_by_others = RawSQL(
        "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND classid = %s"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        [CLAIM],
    )
    pending = (
        BoxMarking.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(reading__isnull=True)
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=timezone.now()))
        .exclude(pk__in=claimed_by_others)
        .order_by("id")
    )
    with transaction.atomic():
        first = pending.select_related("photo").first()
        if first is None:
            return None, []
        rows = [first, *pending.filter(photo=first.photo_id).exclude(pk=first.pk)[: BATCH - 1]]
        with connection.cursor() as cursor:
            mine = []
            for row in rows:
                cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [CLAIM, row.pk])
                if cursor.fetchone()[0]:
                    row.photo = first.photo  # one photo, decoded once
                    mine.append(row)
    return first.photo, mine


def _unclaim(ids) -> None:
    with connection.cursor() as cursor:
        for pk in ids:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [CLAIM, pk])


def _keep_one(row: BoxMarking, marking: markings.Marking, key: str) -> None:
    """Keep one box's reading in its own transaction; a box meanwhile read, dropped or held by
    someone else is left as it is. The database being away propagates: the loop waits for it."""
    with transaction.atomic():
        fresh = (
            BoxMarking.objects.select_for_update(skip_locked=True)
            .filter(pk=row.pk, reading__isnull=True)
            .first()
        )
        if fresh is None:
            return
        fresh.photo = row.photo
        try:
            with transaction.atomic():  # a savepoint: a failure below leaves the row to retry
                _keep(fresh, marking, key)
        except (OperationalError, InterfaceError):
            raise
        except Exception as e:  # a fault of this box (or a bug): not retried for ever
            logger.exception("keeping the marking of %s failed", fresh)
            fresh.refresh_from_db()  # what the savepoint rolled back
            _failed(fresh, _failure(e), tell_lines=False)


def _failure(e: Exception) -> markings.Marking:
    return markings.Marking(status="failed", message=f"{type(e).__name__}: {e}")


def _keep(row: BoxMarking, marking: markings.Marking, key: str) -> None:
    from toolcrib.crib import services

    if marking.status == "failed":
        _failed(row, marking)  # tried again later, or kept as failed after the last attempt
        return
    if row.rules != key:
        # The crib's rules changed since it was queued: read under the rules in force.
        twin = BoxMarking.objects.filter(photo=row.photo, **box_fields(row.box), rules=key)
        if (kept := twin.first()) is not None:
            row.delete()
            if kept.reading is not None:
                services.marking_read(row.photo, row.box, markings.Marking.from_dict(kept.reading))
            return
        row.rules = key
    row.reading, row.read_at, row.retry_at, row.failure = (
        marking.to_dict(),
        timezone.now(),
        None,
        "",
    )
    row.save()
    services.marking_read(row.photo, row.box, marking)


def _failed(row: BoxMarking, marking: markings.Marking, *, tell_lines: bool = True) -> None:
    """A failed read: tried again later, or, after the last attempt, kept as the reading (the
    lines waiting for it then say the marking was not read, and why; `tell_lines` False when
    telling them is what failed: they stay pending, and the log says why)."""
    from toolcrib.crib import services

    row.attempts += 1
    row.failure = marking.message[:300]
    if row.attempts < BoxMarking.MAX_ATTEMPTS:
        delay = RETRY_SECONDS[min(row.attempts, len(RETRY_SECONDS)) - 1]
        row.retry_at = timezone.now() + timedelta(seconds=delay)
        row.save()
        return
    row.reading, row.read_at, row.retry_at = marking.to_dict(), timezone.now(), None
    row.save()
    if tell_lines:
        services.marking_read(row.photo, row.box, marking)


def drain(limit: int | None = None) -> int:
    """Read pending boxes until none is left (or `limit`); how many were taken."""
    pixels, done = PhotoPixels(), 0
    while (limit is None or done < limit) and (taken := read_some(pixels)):
        done += taken
    return done


def run(
    *,
    stop: threading.Event | None = None,
    serve_pid: int = 0,
    say: Callable[[str], None] = logger.info,
    poll: float = POLL_SECONDS,
) -> None:
    """Read pending markings until `stop` is set, or the `serve` that started us is gone (the
    same supervision as its gunicorn: a serve killed outright cannot stop us)."""
    stop = stop or threading.Event()
    pixels, listening = PhotoPixels(), False

    def going() -> bool:
        if serve_pid and os.getppid() != serve_pid:
            say(f"serve (pid {serve_pid}) is gone: the marking reader stops")
            stop.set()
        return not stop.is_set()

    while going():
        try:
            if not listening:
                with connection.cursor() as cursor:
                    cursor.execute(f"LISTEN {CHANNEL}")
                listening = True
            while going() and read_some(pixels):
                pass
            if going():
                _sleep(poll)
        except (DatabaseError, psycopg.Error) as e:  # psycopg's own: from notifies()
            # The database restarting (serve restarts the embedded one): wait and go on.
            say(f"the marking reader waits for the database ({str(e).strip()[:200]})")
            connection.close()
            listening = False
            stop.wait(1.0)
    connection.close()


def _sleep(seconds: float) -> None:
    """Until a NOTIFY on CHANNEL or `seconds`."""
    connection.ensure_connection()
    raw = connection.connection
    for _ in raw.notifies(timeout=seconds, stop_after=1):
        pass


class ReaderThread:
    """A reader in a thread of this process (for tests with a live server): started, stopped."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=run, kwargs={"stop": self.stop, "poll": 0.3}, daemon=True, name="marking-reader"
        )

    def __enter__(self) -> ReaderThread:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(60)


def read_now(photo: Photo, boxes: list[Box], rules) -> list[markings.Marking]:
    """The marking of each box: kept ones reused, the others read here and kept (a waiting
    line is told, as by the reader). Only for a kit mat's slots, whose outcome is decided when
    the mat is submitted: a few boxes read in the request. The kit-photo pages and the API
    never read here (kept_or_queued)."""
    from toolcrib.crib import recognition, services

    boxes = [turned.plain(b) for b in boxes]
    kept = recognition.kept_markings(photo, rules)
    missing = list(dict.fromkeys(b for b in boxes if b not in kept))
    if missing:
        key = markings.rules_key(*rules)
        for box, marking in zip(missing, recognition.read_markings(photo, missing, rules)):
            kept[box] = marking
            if marking.status == "failed":
                continue  # not kept: the next look tries again
            BoxMarking.objects.update_or_create(
                photo=photo,
                **box_fields(box),
                rules=key,
                defaults={
                    "reading": marking.to_dict(),
                    "read_at": timezone.now(),
                    "retry_at": None,
                    "failure": "",
                },
            )
            services.marking_read(photo, box, marking)
    return [kept[b] for b in boxes]
