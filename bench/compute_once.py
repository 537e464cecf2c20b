"""Model runs and photo decodes per request of an issue and a return, and the submit's time.

Run: uv run python -m bench.compute_once [--repeat 5]

Data: synthetic kit photos composed from the real tool photos of ../shared/photos (the return
tests' layout: 3 tools on a 1600x1200 table, tests/kit_photos.py), the real model
(TOOLCRIB_MODEL). Each request is the call the page and the API make, in a throwaway database
on the app's server: the upload (store the photo, propose boxes, recognise them) and the submit
(issue_tools / return_tools on the proposed boxes). A model run is one session run of a batch
(`Model.run`); a decode is Pillow decoding a photo's pixels (`ImageFile.load` with pixels still
to read). The submit's time is the median over --repeat issues and returns.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import Counter
from contextlib import contextmanager


@contextmanager
def counting(calls: Counter):
    from PIL import ImageFile

    from inference import runtime

    run, load = runtime.Model.run, ImageFile.ImageFile.load

    def counted_run(self, batch):
        calls["model runs"] += 1
        return run(self, batch)

    def counted_load(self):
        calls["decodes"] += bool(self.tile)
        return load(self)

    runtime.Model.run, ImageFile.ImageFile.load = counted_run, counted_load
    try:
        yield calls
    finally:
        runtime.Model.run, ImageFile.ImageFile.load = run, load


def measure(repeat: int) -> tuple[dict[str, Counter], dict[str, list[float]]]:
    from django.contrib.auth.models import User

    from tests.kit_photos import compose
    from toolcrib.crib import recognition, services
    from toolcrib.crib.models import Engineer, ToolInstance, ToolType

    screw, pliers, wrench = (
        "1_screw_flat__black",
        "5_safety_pliers__black",
        "10_open_end_wrench_3_4__black",
    )
    user = User.objects.create_user("bench")
    counts = {
        k: Counter() for k in ("issue upload", "issue submit", "return upload", "return submit")
    }
    seconds: dict[str, list[float]] = {"issue submit": [], "return submit": []}
    for n in range(repeat):
        engineer = Engineer.objects.create(badge_number=f"B{n}", name=f"Bench {n}")
        tools = [
            ToolInstance.objects.create(
                inventory_number=f"T{n}-{i}",
                tool_type=ToolType.objects.get(model_class_index=c),
            )
            for i, c in enumerate((0, 4, 9))
        ]
        issue_photo = compose(
            [(screw, (50, 50), 0), (pliers, (900, 100), 0), (wrench, (200, 500), 0)]
        )
        return_photo = compose(
            [(wrench, (700, 550), 3), (screw, (100, 900), 2), (pliers, (1000, 100), 1)]
        )

        def upload(data, kind):
            with counting(counts[f"{kind} upload"]):
                photo = services.store_photo(data, user=user)
                boxes = [r.box for r in recognition.recognise_photo(photo)]
            return photo, boxes

        photo, boxes = upload(issue_photo[0], "issue")
        by_box = dict(zip(issue_photo[1], tools))
        lines = [services.ToolLine(by_box[_nearest(b, by_box)], photo, b) for b in boxes]
        with counting(counts["issue submit"]):
            t0 = time.perf_counter()
            services.issue_tools(engineer=engineer, storekeeper=user, lines=lines)
            seconds["issue submit"].append(time.perf_counter() - t0)
        photo, boxes = upload(return_photo[0], "return")
        with counting(counts["return submit"]):
            t0 = time.perf_counter()
            services.return_tools(
                engineer=engineer, desk_user=user, sightings=[(photo, b) for b in boxes]
            )
            seconds["return submit"].append(time.perf_counter() - t0)
    return counts, seconds


def _nearest(box, boxes):
    """The true box that overlaps a proposed one most (the storekeeper's pick of the tool)."""

    def overlap(a, b):
        w = min(a[2], b[2]) - max(a[0], b[0])
        h = min(a[3], b[3]) - max(a[1], b[1])
        return max(w, 0) * max(h, 0)

    return max(boxes, key=lambda b: overlap(box, b))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolcrib.settings")
    django.setup()
    from django.db import connection

    from inference.runtime import get_model, model_status

    if get_model() is None:
        raise SystemExit(model_status().message)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        counts, seconds = measure(args.repeat)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"per request, mean over {args.repeat} issues and returns of 3 tools:")
    for request, c in counts.items():
        print(
            f"  {request:<14} model runs {c['model runs'] / args.repeat:.1f}"
            f"   decodes {c['decodes'] / args.repeat:.1f}"
        )
    for request, times in seconds.items():
        print(f"  {request:<14} median {statistics.median(times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
