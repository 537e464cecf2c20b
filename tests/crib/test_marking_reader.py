"""The marking reader (toolcrib/crib/marking_reader.py): requests queue boxes, the reader reads
them with the real OCR and keeps the reading; several readers share the queue without reading a
box twice; a failed read is recorded, tried again later and finally kept as failed."""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from inference import markings
from tests.kit_photos import compose, single_photo
from toolcrib.crib import marking_queue, marking_reader, recognition, services
from toolcrib.crib.models import BoxMarking
from toolcrib.crib.services import ToolLine

pytestmark = [pytest.mark.model, pytest.mark.photos]
PLIERS = "5_safety_pliers__black"


@pytest.mark.django_db
def test_it_reads_what_a_request_queued_and_the_answer_follows(tool_factory, photos_dir):
    tool = tool_factory("AT-288293-6", 4)
    data, box = single_photo(PLIERS)
    photo = services.store_photo(data)

    [seen] = recognition.recognise_photo(photo, [box])

    # The request answered without reading: the box waits for the reader.
    assert seen.marking_answer["check"] == "reading"
    assert recognition.read_boxes(photo, [box]) == [(None, None)]
    assert marking_queue.pending(photo) == 1
    assert marking_reader.drain() == 1
    [(marking, named)] = recognition.read_boxes(photo, [box])
    assert (named.check, named.tool_instance_id) == ("confirmed", tool.pk)
    row = BoxMarking.objects.get(photo=photo)
    assert row.read_at is not None and row.reading["status"] == marking.status == "read"
    assert marking_reader.drain() == 0  # nothing left, nothing read twice


@pytest.mark.django_db(transaction=True)
def test_two_readers_never_read_one_box_twice(photos_dir, monkeypatch):
    from toolcrib.crib.models import CribSettings

    data, boxes = compose(
        [
            ("1_screw_flat__black", (50, 50), 0),
            (PLIERS, (900, 100), 0),
            ("10_open_end_wrench_3_4__black", (200, 500), 0),
        ]
    )
    photos = [services.store_photo(data), services.store_photo(compose([(PLIERS, (60, 60), 1)])[0])]
    key = markings.rules_key(*CribSettings.current().marking_rules())
    queued = [(p.pk, tuple(b)) for p in photos for b in boxes]
    for p in photos:
        marking_queue.queue(p, boxes, key)
    read = Counter()
    lock = threading.Lock()
    real = markings.read_box

    def counted(rgb, box, *args, **kwargs):
        with lock:
            read[(hash(rgb[::40, ::40].tobytes()), tuple(box))] += 1  # photo, box
        return real(rgb, box, *args, **kwargs)

    monkeypatch.setattr(markings, "read_box", counted)
    with marking_reader.ReaderThread(), marking_reader.ReaderThread():
        deadline = time.monotonic() + 300
        while marking_queue.pending() and time.monotonic() < deadline:
            time.sleep(0.2)

    assert marking_queue.pending() == 0
    assert BoxMarking.objects.filter(reading__isnull=False).count() == len(queued) == 6
    assert sum(read.values()) == 6 and set(read.values()) == {1}


@pytest.mark.django_db(transaction=True)
def test_a_box_another_reader_holds_is_skipped_not_waited_for(photos_dir):
    from toolcrib.crib.models import CribSettings

    data, box = single_photo(PLIERS)
    photo = services.store_photo(data)
    other = (box[0] + 4, box[1], box[2], box[3])
    marking_queue.queue(
        photo, [box, other], markings.rules_key(*CribSettings.current().marking_rules())
    )
    first = BoxMarking.objects.order_by("id").first()

    with transaction.atomic():
        BoxMarking.objects.select_for_update().get(pk=first.pk)  # another reader is on it
        done = []

        def another_reader():
            try:
                done.append(marking_reader.drain())
            finally:
                connection.close()  # its own connection: left open, it holds the test database

        reader = threading.Thread(target=another_reader)
        reader.start()
        reader.join(120)
        assert done == [1]  # the other box, at once: no wait for the held one
        assert BoxMarking.objects.get(pk=first.pk).reading is None
    assert marking_reader.drain() == 1
    assert marking_queue.pending() == 0


@pytest.mark.django_db
def test_a_failed_read_is_kept_for_a_later_try_and_finally_kept_as_failed(
    tool_factory, engineer, storekeeper, photos_dir
):
    data, box = single_photo(PLIERS)
    photo = services.store_photo(data)
    tool = tool_factory("AT-288293-6", 4)
    issue = services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[ToolLine(tool, photo, box)]
    )
    photo.image.storage.delete(photo.image.name)  # the stored file is gone: nothing to read

    assert marking_reader.drain() == 1
    row = BoxMarking.objects.get(photo=photo)
    assert (row.reading, row.attempts) == (None, 1)
    assert row.retry_at > timezone.now() and "could not be read" in row.failure
    assert marking_reader.drain() == 0  # not again before its time: no spinning

    for attempt in (2, 3):
        BoxMarking.objects.filter(pk=row.pk).update(retry_at=timezone.now() - timedelta(seconds=1))
        assert marking_reader.drain() == 1
        row.refresh_from_db()
        assert row.attempts == attempt
    # The last attempt's failure is kept: the issued tool says so instead of waiting for ever.
    assert row.reading["status"] == "failed" and row.retry_at is None
    line = issue.tools.get()
    assert (line.marking_pending, line.marking_status) == (False, "failed")
    assert marking_queue.pending() == 0


@pytest.mark.django_db(transaction=True)
def test_a_photos_readings_are_kept_one_by_one_while_the_rest_are_read(photos_dir, monkeypatch):
    """The reader takes a kit photo's boxes together and reads them side by side, but keeps each
    reading as soon as it is read: the page fills its rows in one by one, not all at the end."""
    from toolcrib.crib.models import CribSettings

    data, boxes = compose(
        [
            ("1_screw_flat__black", (50, 50), 0),
            (PLIERS, (900, 100), 0),
            ("10_open_end_wrench_3_4__black", (200, 500), 0),
        ]
    )
    photo = services.store_photo(data)
    marking_queue.queue(photo, boxes, markings.rules_key(*CribSettings.current().marking_rules()))
    slow, release = tuple(boxes[0]), threading.Event()
    real = markings.read_box

    def held_back(rgb, box, *args, **kwargs):
        if tuple(box) == slow:
            assert release.wait(120)
        return real(rgb, box, *args, **kwargs)

    monkeypatch.setattr(markings, "read_box", held_back)
    with marking_reader.ReaderThread():
        deadline = time.monotonic() + 120
        while marking_queue.pending(photo) > 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        # Two readings kept and visible to everyone while the third box is still being read.
        assert BoxMarking.objects.filter(photo=photo, reading__isnull=False).count() == 2
        assert BoxMarking.objects.get(photo=photo, x0=slow[0], y0=slow[1]).reading is None
        release.set()
        while marking_queue.pending(photo) and time.monotonic() < deadline + 60:
            time.sleep(0.1)
    assert marking_queue.pending(photo) == 0
