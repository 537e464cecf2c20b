"""Compute once: the model's recognitions and the markings read off the tools of an upload's
boxes are kept with the photo and used again when the issue or return is submitted, instead of
running the model or the OCR a second time. Recognitions are found again only by the same photo,
box, model file and rotation mode; markings by the same photo, box and the crib's rules.

Model runs, photo decodes and marking reads are counted around the real model, Pillow's real
decoder and the real reader (zxing-cpp + OCR).

No request reads a marking: an upload, an issue or a return queues the boxes not read yet, and
the marking reader (its own process; `marking_reader.drain()` here, its loop's body) reads them."""

from collections import Counter

import numpy as np
import pytest
from PIL import ImageFile

from inference import markings, runtime
from toolcrib.crib import marking_queue, marking_reader, recognition, services
from toolcrib.crib.models import BoxMarking, BoxRecognition, CribSettings
from toolcrib.crib.services import ToolLine

pytestmark = [pytest.mark.django_db, pytest.mark.model, pytest.mark.photos]
SCREW, PLIERS, WRENCH = (
    "1_screw_flat__black",
    "5_safety_pliers__black",
    "10_open_end_wrench_3_4__black",
)


@pytest.fixture
def counted(monkeypatch):
    """Counts of model runs (session runs of a batch), photo decodes and marking reads (one
    box's codes + OCR) from here on."""
    calls = Counter()
    run, load, read = runtime.Model.run, ImageFile.ImageFile.load, markings.read_marking

    def counted_read(*args, **kwargs):
        calls["marking reads"] += 1
        return read(*args, **kwargs)

    def counted_run(self, batch):
        calls["model runs"] += 1
        return run(self, batch)

    def counted_load(self):
        calls["decodes"] += bool(self.tile)  # pixels not decoded yet: this call decodes them
        return load(self)

    monkeypatch.setattr(runtime.Model, "run", counted_run)
    monkeypatch.setattr(ImageFile.ImageFile, "load", counted_load)
    monkeypatch.setattr(markings, "read_marking", counted_read)
    return calls


@pytest.fixture
def uploaded(storekeeper):
    """A kit photo as the issue page uploads it: stored, then recognised on the given boxes."""
    from tests.kit_photos import compose

    data, boxes = compose([(SCREW, (50, 50), 0), (PLIERS, (900, 100), 0), (WRENCH, (200, 500), 0)])
    photo = services.store_photo(data, user=storekeeper)
    recognition.recognise_photo(photo, boxes)
    marking_reader.drain()  # the reader reads them while the storekeeper checks the boxes
    return photo, boxes


def issue(photo, boxes, tools, engineer, storekeeper):
    return services.issue_tools(
        engineer=engineer,
        storekeeper=storekeeper,
        lines=[ToolLine(t, photo, b) for t, b in zip(tools, boxes)],
    )


@pytest.fixture
def tools(tool_factory):
    return [
        tool_factory("SCR-0001", 0),
        tool_factory("AT-288293-6", 4),
        tool_factory("AT-288293-5", 9),  # the wrench in the photos is etched so,
    ]


def test_an_issue_uses_the_upload_s_recognitions_without_running_the_model(
    uploaded, tools, engineer, storekeeper, counted
):
    photo, boxes = uploaded
    kept = {r.box: np.asarray(r.feature) for r in BoxRecognition.objects.filter(photo=photo)}

    made = issue(photo, boxes, tools, engineer, storekeeper)

    # No model run, no decode, no OCR on submit: all of it was done at upload.
    assert counted == {}
    for line in made.tools.all():
        assert np.array_equal(np.asarray(line.embedding), kept[line.box])
    wrench = made.tools.get(tool_instance__inventory_number="AT-288293-5")
    kept_reading = BoxMarking.objects.get(photo=photo, x0=wrench.x0, y0=wrench.y0).reading
    assert wrench.marking_status == kept_reading["status"]
    assert wrench.marking_text == (kept_reading["numbers"] or [{"text": ""}])[0]["text"]


def test_a_return_uses_the_upload_s_recognitions(
    uploaded, tools, engineer, storekeeper, desk, counted
):
    from tests.kit_photos import compose

    issue(*uploaded, tools, engineer, storekeeper)
    data, boxes = compose(
        [(WRENCH, (700, 550), 3), (SCREW, (100, 900), 2), (PLIERS, (1000, 100), 1)]
    )
    photo = services.store_photo(data, user=desk)
    recognition.recognise_photo(photo, boxes, in_crib_only=False)
    marking_reader.drain()
    counted.clear()

    tool_return = services.return_tools(
        engineer=engineer, desk_user=desk, sightings=[(photo, b) for b in boxes]
    )

    assert counted == {}  # no model run, no decode, no OCR
    assert {line.decision for line in tool_return.tools.all()} <= {"accepted", "confirm_by_eye"}


def test_a_box_recognised_before_is_not_recognised_again_and_a_new_box_is(
    uploaded, tools, engineer, storekeeper, counted
):
    photo, boxes = uploaded
    moved = (boxes[2][0] + 8, boxes[2][1], boxes[2][2], boxes[2][3])  # the desk moved one edge

    made = issue(photo, [boxes[0], boxes[1], moved], tools, engineer, storekeeper)

    # The moved box only: one model run and its decode; its marking is queued, not read.
    assert counted == {"model runs": 1, "decodes": 1}
    assert BoxRecognition.objects.filter(photo=photo).count() == 4
    assert BoxMarking.objects.filter(photo=photo).count() == 4
    assert made.tools.get(x0=moved[0]).marking_pending
    counted.clear()
    # The reader: one full-resolution decode and one read, kept with the issued tool.
    assert marking_reader.drain() == 1
    assert counted == {"decodes": 1, "marking reads": 1}
    assert not made.tools.filter(marking_pending=True).exists()


def test_the_markings_are_read_again_under_other_number_patterns(
    uploaded, tools, engineer, storekeeper, counted
):
    photo, boxes = uploaded
    settings = CribSettings.current()
    settings.marking_patterns = r"[A-Z]{2}-\d{6}-\d" + "\n" + r"SCR-\d{4}"
    settings.save()

    issue(photo, boxes, tools, engineer, storekeeper)

    assert counted == {}  # no model run (its outputs are kept), no read: queued
    marking_reader.drain()
    assert counted == {"decodes": 1, "marking reads": 3}  # one decode for the photo's boxes
    assert BoxMarking.objects.filter(photo=photo).values("rules").distinct().count() == 2


def test_another_rotation_mode_does_not_reuse_what_tta_made(
    uploaded, tools, engineer, storekeeper, counted, monkeypatch
):
    photo, boxes = uploaded
    monkeypatch.setenv("TOOLCRIB_ROTATION", "none")

    made = issue(photo, boxes, tools, engineer, storekeeper)

    assert counted["model runs"] == 1
    tta = {r.box: np.asarray(r.feature) for r in BoxRecognition.objects.filter(rotation="tta")}
    for line in made.tools.all():
        assert not np.allclose(np.asarray(line.embedding), tta[line.box], atol=1e-3)


def test_another_model_file_does_not_reuse_what_this_one_made(
    uploaded, tools, engineer, storekeeper, counted, monkeypatch, tmp_path, model_path
):
    import onnx

    photo, boxes = uploaded
    # The same weights under another sha256: a retrained or re-exported file must not trust
    # features that the old one made.
    other = onnx.load(model_path)
    onnx.helper.set_model_props(other, {"note": "re-exported"})
    onnx.save(other, tmp_path / "other.onnx")
    with monkeypatch.context() as m:
        m.setenv("TOOLCRIB_MODEL", str(tmp_path / "other.onnx"))
        runtime.reset_model()
        try:
            made = issue(photo, boxes, tools, engineer, storekeeper)
            sha = runtime.get_model().sha256
        finally:
            runtime.reset_model()

    assert counted["model runs"] == 1
    assert {line.model_sha256 for line in made.tools.all()} == {sha}
    assert set(BoxRecognition.objects.values_list("model_sha256", flat=True)) == {
        sha,
        runtime.get_model().sha256,
    }


def test_no_request_reads_a_marking_the_reader_does(tools, engineer, storekeeper, desk, counted):
    """The upload's recognition, the issue and the return of boxes nobody read: the model runs,
    the OCR does not; the reader reads each box once, decoding each photo once."""
    from tests.kit_photos import compose

    data, boxes = compose([(SCREW, (50, 50), 0), (PLIERS, (900, 100), 0), (WRENCH, (200, 500), 0)])
    photo = services.store_photo(data, user=storekeeper)
    answer = recognition.recognise_photo(photo, boxes)
    assert [t.marking_answer["check"] for t in answer] == ["reading"] * 3
    made = issue(photo, boxes, tools, engineer, storekeeper)
    back = services.store_photo(data, user=desk)
    services.return_tools(engineer=engineer, desk_user=desk, sightings=[(back, b) for b in boxes])

    assert "marking reads" not in counted
    assert marking_queue.pending() == 6
    counted.clear()
    assert marking_reader.drain() == 6
    assert counted == {"decodes": 2, "marking reads": 6}
    # Each issued tool keeps what was read off it (a status, and a number where one was read).
    assert not made.tools.filter(marking_pending=True).exists()
    assert "" not in set(made.tools.values_list("marking_status", flat=True))
