"""Issue 15: does comparing a returned crop with a tool's whole gallery (its issue-time crop
and every enrolment photo of it) beat comparing it with one reference?

    uv run python -m bench.cross_photo_gallery [--variants 6] [--seed 0]

The sets are bench.cross_photo's (read its docstring): the real kit photo returned against
single/ + catalog/ (identity is the tool type there), as photographed and as perturbed shots;
the kit photo against other shots of itself (same pixels: flatters); single/ photos of one
physical tool on other backgrounds (the same tool pixels pasted on other backgrounds:
flatters).

For every set, the *same pairs* are scored two ways, each with its own calibration refitted
on single/ + catalog/ only (so the kit lines stay out of sample), same procedure as now:
- *single reference*: the returned crop against one photo of each held tool (today's rule);
- *gallery of N*: the returned crop against N photos of each held tool (the first is the
  single reference), scored by the max match over the gallery, or the mean of the top 2.
  The next-best held tool in the margin is scored by the same rule over its own gallery of N,
  so impostors get the same chance.

No leakage: a gallery never holds the returned photo (nor, for perturbed shots, any shot of
it); its N members are N different photos (for the same-table set, N other shots of the
kit photo). Equal galleries: a tool is held only when it has at least N photos besides the
returned one, for the single reference too: with N = 2 the kit photo is returned against 5
of the 11 types (1, 2, 5, 8, 10: the others have only a catalogue picture), with N = 3
against 4 (1, 2, 5, 10). The other kit tools are still returned, as tools never issued.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bench.cross_photo import arguments, base_crops, by_identity, desk_lines, from_kit, shots
from inference.calibration import (
    Calibration,
    Candidate,
    Sighting,
    accept_rate_at_far,
    add_scored,
    operating_points,
    reliability,
)

RULES: dict[str, Callable[[np.ndarray], float]] = {
    "max": lambda m: float(m.max()),
    "top-2 mean": lambda m: float(np.sort(m)[-2:].mean()),
}


def gallery_events(
    crops: list[Sighting],
    *,
    size: int,
    held_from: int,
    rule: Callable[[np.ndarray], float] = RULES["max"],
    queries: list[Sighting] | None = None,
    same_photo: bool = False,
    rounds: int = 1,
) -> tuple[list[Candidate], list[bool]]:
    """inference.calibration.events, with each held tool seen through a gallery of `size`
    different photos (round r starts at its r-th photo and takes shot r of each). Only tools
    with at least `held_from` photos besides the returned one are held, whatever `size`: the
    single reference (size 1) and the gallery are then measured on the same pairs."""
    if not 1 <= size <= held_from:
        raise ValueError("a gallery needs 1..held_from photos: every held tool gets `size`")
    candidates: list[Candidate] = []
    genuine: list[bool] = []
    for q in crops if queries is None else queries:
        units: dict[str, dict[str, list[Sighting]]] = {}
        for c in crops:
            if (c.photo == q.photo) == same_photo and (c.shot or c.photo) != (q.shot or q.photo):
                unit = (c.shot or c.photo) if same_photo else c.photo
                units.setdefault(c.tool, {}).setdefault(unit, []).append(c)
        pools = {
            t: (list(u.values()), next(iter(u.values()))[0].type_key)
            for t, u in units.items()
            if len(u) >= held_from
        }
        if len(pools) < 2:
            continue
        widest = max(len(p) * max(len(s) for s in p) for p, _ in pools.values())
        for r in range(min(rounds, widest)):
            held, match = [], []
            for tool, (photos, type_key) in pools.items():
                gallery = [photos[(r + j) % len(photos)] for j in range(size)]
                features = np.stack([s[r % len(s)].feature for s in gallery])
                held.append((tool, type_key))
                match.append(rule((features @ q.feature + 1) * 50))
            add_scored(q, held, np.asarray(match), True, candidates, genuine)
    return candidates, genuine


def summary(candidates, genuine, fit: Calibration) -> str:
    y = np.asarray(genuine, bool)
    raw = np.array([c.match for c in candidates])
    p = fit.probability(candidates)
    rates = []
    for scores in (raw, p):
        rates.append(
            " / ".join(f"{accept_rate_at_far(scores, y, f)[0]:.3f}" for f in (0.01, 0.001))
        )
    gap = max(abs(d.predicted - d.observed) for d in reliability(p, y))
    return (
        f"{int(y.sum())} / {int((~y).sum())} pairs; accept at FAR 1 % / 0.1 %: raw {rates[0]}, "
        f"calibrated {rates[1]}; worst decile gap {gap:.1f} points"
    )


def main(argv=None) -> int:
    parser = arguments("bench.cross_photo_gallery", __doc__ or "")
    parser.add_argument("--sizes", default="2,3", help="gallery sizes to try")
    args = parser.parse_args(argv)
    base = base_crops()
    variants = [(1, "single reference", RULES["max"])]
    for n in (int(v) for v in args.sizes.split(",")):
        variants += [(n, f"gallery of {n}, {name}", rule) for name, rule in RULES.items()]
    for title, crops in (
        ("as photographed", shots(base, 0, args.seed, turn=args.turn)),
        (
            f"perturbed, {args.variants} shots per crop",
            shots(base, args.variants, args.seed, turn=args.turn),
        ),
    ):
        by_type = [c for c, _ in crops]
        training = [c for c in by_type if not from_kit(c)]
        kit = [c for c in by_type if from_kit(c)]
        singles = [c for c in by_identity(crops) if c.photo.startswith("single/")]
        sets = [
            ("true cross-photo: kit photo vs single/ + catalog/", by_type, kit, False, 4, True),
            ("single backgrounds (same tool pixels: flatters)", singles, None, False, 3, False),
        ]
        if args.variants and "perturbed" in title:
            sets.insert(
                1,
                (
                    "same table: kit photo vs other shots of itself (flatters)",
                    by_type,
                    kit,
                    True,
                    3,
                    True,
                ),
            )
        print(f"== {title}")
        for n in sorted({v[0] for v in variants if v[0] > 1}):
            print(f"-- held tools need {n} photos besides the returned one (equal galleries)")
            for size, name, rule in variants:
                if size not in (1, n) or (size == 1 and rule is not RULES["max"]):
                    continue
                train = gallery_events(training, size=size, held_from=n, rule=rule, rounds=3)
                fit = Calibration.fit(*train, source="single/ + catalog/")
                points = operating_points(fit, *train)
                print(f"  {name} (calibration: {fit.genuine} genuine / {fit.impostors} impostors)")
                for set_name, pool, queries, same, rounds, desk in sets:
                    cand, gen = gallery_events(
                        pool,
                        size=size,
                        held_from=n,
                        rule=rule,
                        queries=queries,
                        same_photo=same,
                        rounds=rounds,
                    )
                    if not any(gen) or all(gen):
                        print(f"    {set_name}: no genuine or no impostor pairs")
                        continue
                    print(f"    {set_name}: {summary(cand, gen, fit)}")
                    for risk in (20, 50) if desk else ():
                        print("    " + desk_lines(cand, gen, fit, points, risk)[0].strip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
