"""The hardest cross-photo set we can build from ../shared/photos, and what calibration does on it.

    uv run python -m bench.cross_photo [--variants 6] [--seed 0]

Sets (every figure printed with the set it was measured on):
- *true cross-photo*: the 11 tools of the real kit photo (kit/DSCN4950.JPG, true boxes from
  kit/boxes.csv) returned against the single/ and catalog/ photos (another camera, light and
  table). Identity here is the tool *type*: these photos show the case's kit and catalogue
  pictures of the same makes, and the model cannot tell two tools of one make apart anyway
  (docs/inference.md); the marking does.
- the same, each crop perturbed into several shots (crop jitter, scale, light, colour cast,
  blur, any angle: inference/perturb.py): harder.
- *same table*: the kit photo against other perturbed shots of itself. The same pixels, so it
  flatters: an upper bound for issue and return on one table.
- *single backgrounds*: single/ photos of one tool on other backgrounds. The same tool pixels
  pasted on other backgrounds: flatters.

The calibration used on the kit is fitted without the kit photo (single/ + catalog/ only), so
the kit lines are out of sample. `--fit` prints the weights fitted on everything (the built-in
fallback, inference.calibration.FALLBACK).
"""

from __future__ import annotations

import argparse
import csv

import numpy as np
from PIL import Image, ImageOps

from bench.shared_dataset import SHARED_PHOTOS, shared_boxes, tool_of
from inference import perturb, turned
from inference.boxes import propose_boxes
from inference.calibration import (
    Calibration,
    Candidate,
    Sighting,
    events,
    level_for_risk,
    operating_points,
    report_lines,
)
from inference.kit_eval import run_model
from inference.kits import SURE
from inference.preprocess import PhotoError, check_box
from inference.recognise import CLASS_NAMES
from inference.verdicts import ACCEPTED, RECOUNT, decide


def base_crops() -> list[tuple[str, str, str, Image.Image, tuple]]:
    """(photo, type, physical tool, image, box) for every tool with a true or hand-drawn box."""
    out = []
    kit = SHARED_PHOTOS / "kit"
    with open(kit / "boxes.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    image = ImageOps.exif_transpose(Image.open(kit / rows[0]["image"])).convert("RGB")
    for r in rows:
        box = tuple(int(r[k]) for k in ("x0", "y0", "x1", "y1"))
        out.append(("kit/DSCN4950", r["label"], f"{r['label']}/kit", image, box))
    for name, box in shared_boxes().items():
        path = SHARED_PHOTOS / name
        label, tool = tool_of(path)
        out.append(
            (f"{path.parent.name}/{path.stem}", label, tool, Image.open(path).convert("RGB"), box)
        )
    return out


def turned_in(image: Image.Image, box: tuple) -> tuple:
    """The turned box the proposer fits around the largest tool inside a drawn box (the box as
    it is where none is turned): how a turned box is got on a real photo without a mask."""
    x0, y0 = box[0], box[1]
    proposals = propose_boxes(image.crop(box), expected=1)
    if not proposals:
        return box
    fitted = max(proposals, key=lambda p: p.area).fitted
    if not turned.angle_of(fitted):
        return box
    try:
        return check_box(
            (fitted[0] + x0, fitted[1] + y0, fitted[2] + x0, fitted[3] + y0, fitted[4]), image.size
        )
    except PhotoError:
        return box


def shots(
    base, variants: int, seed: int, strength: float = 1.0, *, turn: bool = False
) -> list[tuple[Sighting, str]]:
    """Each base crop as is (variants=0) or as `variants` perturbed shots; with the physical
    tool id beside each crop. `turn`: each shot's box turned to its tool (turned_in)."""
    rng = np.random.default_rng(seed)
    out = []
    for photo, label, tool, image, box in base:
        views = [(image, box)]
        if variants:
            views = [
                perturb.apply(image, box, perturb.Change.draw(rng, strength))
                for _ in range(variants)
            ]
        for v, (im, b) in enumerate(views):
            probs, feats = run_model(im, [turned_in(im, b) if turn else b])
            read = (
                CLASS_NAMES[int(np.argmax(probs[0]))] if float(np.max(probs[0])) >= SURE else None
            )
            crop = Sighting(label, label, photo, feats[0], read, shot=f"{photo}#{v}")
            out.append((crop, tool))
    return out


def by_identity(crops: list[tuple[Sighting, str]]) -> list[Sighting]:
    """The crops with the physical tool as their identity (instead of the type)."""
    return [Sighting(t, c.type_key, c.photo, c.feature, c.read_type, c.shot) for c, t in crops]


def desk_lines(candidates, genuine, calibration: Calibration, points, risk: float) -> list[str]:
    """The verdicts the desk would get at this risk (level from the *training* data): genuine
    returned tools accepted without a look, and not-issued tools accepted as another."""
    point = level_for_risk(points, risk)
    level = None if point is None else point.probability
    p = calibration.probability(candidates)
    kinds = [
        decide(
            probability=float(pi),
            match=c.match,
            next_best=c.match - c.margin,
            agree=c.agree,
            read_type=None,
            level=level,
        ).kind
        for c, pi in zip(candidates, p)
    ]
    chosen_genuine = [k for c, g, k in zip(candidates, genuine, kinds) if c.chosen and g]
    chosen_impostors = [k for c, g, k in zip(candidates, genuine, kinds) if c.chosen and not g]
    n_gen = sum(genuine)
    accepted = sum(k == ACCEPTED for k in chosen_genuine) / max(1, n_gen)
    recount = sum(k == RECOUNT for k in chosen_genuine)
    wrong = sum(k == ACCEPTED for k in chosen_impostors) / max(1, len(chosen_impostors))
    at = "no level safe enough" if level is None else f"accept from {level * 100:.1f}%"
    return [
        f"  at accepted risk {risk:g} per 1,000 ({at}): accepted without recount: {accepted:.3f}; "
        f"false accepts: {wrong:.3f} of {len(chosen_impostors)}; genuine sent to recount: {recount}"
    ]


def describe(name: str, candidates, genuine, fit: Calibration, points=None) -> list[str]:
    """Accept rates and reliability (inference.calibration.report_lines); with the training
    data's operating points, also the verdicts at risk 20 and 50 per 1,000."""
    lines = [f"{name}:", *report_lines(candidates, genuine, fit.probability(candidates))]
    for risk in (20, 50) if points is not None else ():
        lines += desk_lines(candidates, genuine, fit, points, risk)
    return lines


def arguments(prog: str, doc: str) -> argparse.ArgumentParser:
    """The options every cross-photo bench takes: shots per crop and the perturbation seed."""
    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=doc.split("\n")[0])
    parser.add_argument("--variants", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--turn",
        action="store_true",
        help="each box turned to its tool (bench.cross_photo.turned_in)",
    )
    return parser


def from_kit(crop: Sighting) -> bool:
    return crop.photo.startswith("kit/")


def main(argv=None) -> int:
    parser = arguments("bench.cross_photo", __doc__ or "")
    parser.add_argument("--fit", action="store_true", help="print the weights fitted on everything")
    args = parser.parse_args(argv)
    base = base_crops()
    plain = shots(base, 0, args.seed, turn=args.turn)
    shaken = shots(base, args.variants, args.seed, turn=args.turn)
    print("boxes:", "turned to each tool (--turn)" if args.turn else "as drawn (axis-aligned)")
    for title, crops in (
        ("as photographed", plain),
        (f"perturbed, {args.variants} shots per crop", shaken),
    ):
        by_type = [c for c, _ in crops]
        training = [c for c in by_type if not from_kit(c)]
        fit = Calibration.fit(*events(training, rounds=3), source="single/ + catalog/")
        points = operating_points(fit, *events(training, rounds=3))
        kit = [c for c in by_type if from_kit(c)]
        print(
            f"== {title}; calibration fitted on single/ + catalog/ only ({fit.genuine} genuine / {fit.impostors} impostors)"
        )
        sets = [
            (
                "true cross-photo: kit photo returned against single/ + catalog/ "
                "(different camera, light, table)",
                events(by_type, queries=kit, rounds=4),
                points,
            )
        ]
        if crops is shaken:
            sets.append(
                (
                    "same table: kit photo against other shots of itself (same pixels: flatters)",
                    events(by_type, queries=kit, same_photo=True, rounds=3),
                    points,
                )
            )
        singles = [c for c in by_identity(crops) if c.photo.startswith("single/")]
        sets.append(
            (
                "single backgrounds: one physical tool on other backgrounds "
                "(same tool pixels: flatters)",
                events(singles, rounds=3),
                None,
            )
        )
        for name, (candidates, genuine), desk_points in sets:
            print("\n".join(describe(name, candidates, genuine, fit, desk_points)))
    if args.fit:
        # The built-in fallback: every shot, no per-type offsets (a crib's types are its own).
        everything = [
            Sighting(c.tool, c.type_key, c.photo, c.feature, c.read_type, c.shot) for c, _ in shaken
        ]
        candidates, genuine = events(everything, rounds=3)
        untyped = [Candidate(c.match, c.margin, c.agree, None, c.chosen) for c in candidates]
        fit = Calibration.fit(untyped, genuine, source="shared photos")
        print("FALLBACK weights:", tuple(round(w, 4) for w in fit.weights))
        points = operating_points(fit, untyped, genuine)
        kept, last = [], None
        for pt in points:  # thin the table: a point per 0.01 of probability
            if last is None or pt.probability - last >= 0.01 or pt is points[-1]:
                kept.append(pt)
                last = pt.probability
        print("FALLBACK_POINTS (probability, false accepts, upper bound, accepted):")
        for pt in kept:
            print(
                f"    ({pt.probability:.4f}, {pt.false_accepts:.2f}, "
                f"{pt.false_accepts_upper:.2f}, {pt.accepted:.4f}),"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
