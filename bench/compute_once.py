"""Model runs, photo decodes and marking reads per request of an issue and a return, and the
time of the upload (boxes first, markings after) and of the submit.

Run: uv run python -m bench.compute_once [--repeat 5] [--before]

Data: the real kit photo ../shared/photos/kit/DSCN4950.JPG (1280x960, 11 tools) and a synthetic
kit photo composed from the real tool photos of ../shared/photos (the return tests' layout: 3
tools on a 1600x1200 table, tests/kit_photos.py); the real model (TOOLCRIB_MODEL), the real
reader (zxing-cpp + RapidOCR). Each request is the call the page and the API make, in a
throwaway database on the app's server: the upload (store the photo, propose boxes, recognise
them: `recognition.recognise_photo(wait=False)`, the first answer the page gets), the markings
(the marking reader reading the queued boxes, `marking_reader.drain()`; "all read" = upload +
markings, the time until the page shows every marking) and the submit (issue_tools /
return_tools on the proposed boxes, one tool instance per box). A model run is one session run
of a batch (`Model.run`); a decode is Pillow decoding a photo's pixels (`ImageFile.load` with
pixels still to read); a marking read is one box's codes + OCR (`markings.read_marking`).
Times are medians over --repeat issues and returns of each photo. --before also times the
submit as it was before the markings were kept at upload (upload without reading them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "photos"
SCREW, PLIERS, WRENCH = (
    "1_screw_flat__black",
    "5_safety_pliers__black",
    "10_open_end_wrench_3_4__black",
)


@contextmanager
def counting(calls: Counter):
    from PIL import ImageFile

    from inference import markings, runtime

    run, load, read = runtime.Model.run, ImageFile.ImageFile.load, markings.read_marking

    def counted_run(self, batch):
        calls["model runs"] += 1
        return run(self, batch)

    def counted_load(self):
        calls["decodes"] += bool(self.tile)
        return load(self)

    def counted_read(*args, **kwargs):
        calls["marking reads"] += 1
        return read(*args, **kwargs)

    runtime.Model.run, ImageFile.ImageFile.load = counted_run, counted_load
    markings.read_marking = counted_read
    try:
        yield calls
    finally:
        runtime.Model.run, ImageFile.ImageFile.load = run, load
        markings.read_marking = read


def photos() -> dict[str, bytes]:
    from tests.kit_photos import compose

    return {
        "DSCN4950 (real, 11 tools)": (SHARED / "kit" / "DSCN4950.JPG").read_bytes(),
        "synthetic kit (3 tools)": compose(
            [(SCREW, (50, 50), 0), (PLIERS, (900, 100), 0), (WRENCH, (200, 500), 0)]
        )[0],
    }


def measure(data: bytes, repeat: int, *, read_at_upload: bool, tag: str):
    """Counts and seconds per request over `repeat` issues and returns of one photo."""
    from django.contrib.auth.models import User

    from toolcrib.crib import marking_reader, recognition, services
    from toolcrib.crib.models import Engineer, ToolInstance, ToolType

    user, _ = User.objects.get_or_create(username="bench")
    fallback = ToolType.objects.order_by("pk").first()
    counts: dict[str, Counter] = defaultdict(Counter)
    seconds: dict[str, list[float]] = defaultdict(list)

    def timed(request, call):
        with counting(counts[request]):
            t0 = time.perf_counter()
            out = call()
            seconds[request].append(time.perf_counter() - t0)
        return out

    def upload(in_crib_only):
        # A fresh photo each time (a new upload of the same file is a new photo: nothing kept).
        photo = services.store_photo(data, user=user)
        return photo, recognition.recognise_photo(
            photo, in_crib_only=in_crib_only, read=read_at_upload, wait=False
        )

    def read_markings(request, photo, seen):
        if read_at_upload:
            # The boxes are queued by the upload; the marking reader's work, here in-process.
            timed(request, marking_reader.drain)
            seconds[request.replace("markings", "all read")].append(
                seconds[request.replace("markings", "upload")][-1] + seconds[request][-1]
            )

    for n in range(repeat):
        engineer = Engineer.objects.create(badge_number=f"{tag}{n}", name=f"Bench {tag} {n}")
        photo, seen = timed("issue upload", lambda: upload(True))
        read_markings("issue markings", photo, seen)
        lines = [
            services.ToolLine(
                ToolInstance.objects.create(
                    inventory_number=f"{tag}{n}-{i}",
                    tool_type_id=s.types[0].tool_type_id if s.types else fallback.pk,
                ),
                photo,
                s.box,
            )
            for i, s in enumerate(seen)
        ]
        timed(
            "issue submit",
            lambda: services.issue_tools(engineer=engineer, storekeeper=user, lines=lines),
        )
        photo, seen = timed("return upload", lambda: upload(False))
        read_markings("return markings", photo, seen)
        timed(
            "return submit",
            lambda: services.return_tools(
                engineer=engineer, desk_user=user, sightings=[(photo, s.box) for s in seen]
            ),
        )
    return counts, seconds


def report(name: str, counts, seconds, repeat: int, label: str = "") -> None:
    print(f"{name}{label}:")
    for request in [
        f"{desk} {step}"
        for desk in ("issue", "return")
        for step in ("upload", "markings", "all read", "submit")
    ]:
        if not seconds[request]:
            continue
        c = counts[request]
        line = f"  {request:<16} median {statistics.median(seconds[request]):6.2f} s"
        if request.endswith("all read"):  # upload + markings: the counts are theirs
            print(line)
            continue
        print(
            line + f"   per request: model runs {c['model runs'] / repeat:.1f}"
            f"  decodes {c['decodes'] / repeat:.1f}"
            f"  marking reads {c['marking reads'] / repeat:.1f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--before", action="store_true", help="also time the old submit")
    args = parser.parse_args()

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolcrib.settings")
    django.setup()
    from django.conf import settings

    from toolcrib.lib import embedded_db

    with embedded_db.running(settings.EMBEDDED_DB_DIR):  # as manage.py runs it
        run(args)


def run(args) -> None:
    from django.db import connection
    from django.test import override_settings

    from inference import markings
    from inference.runtime import get_model, model_status

    if get_model() is None:
        raise SystemExit(model_status().message)
    markings.ocr_engine()  # loaded once per process, outside the timing
    old_name = connection.settings_dict["NAME"]
    # Its own throwaway database: a pytest run in the same checkout keeps its test database.
    connection.settings_dict["TEST"]["NAME"] = "bench_compute_once"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
            print(
                f"medians over {args.repeat} issues and returns of each photo (os.cpu_count "
                f"{os.cpu_count()}, load average {os.getloadavg()[0]:.1f}):"
            )
            for i, (name, data) in enumerate(photos().items()):
                counts, seconds = measure(data, args.repeat, read_at_upload=True, tag=f"K{i}-")
                report(name, counts, seconds, args.repeat)
                if args.before:
                    counts, seconds = measure(data, args.repeat, read_at_upload=False, tag=f"B{i}-")
                    report(name, counts, seconds, args.repeat, " (before: not read at upload)")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
