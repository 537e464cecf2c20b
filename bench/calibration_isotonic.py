"""Would an isotonic step after the calibration's logistic fit bring the calibrated % within
5 points of the observed rate per decile? (issue 15; measured, not adopted: docs/calibration.md)

    uv run python -m bench.calibration_isotonic     (TOOLCRIB_MODEL=../shared/models/clf.onnx)

Identity is the tool type (as in bench/cross_photo.py). The isotonic map is fitted (weighted
pool-adjacent-violators, genuine and impostors at even odds) on the logistic's cross-fitted
probabilities of the single/ + catalog/ photos, then measured: on the real kit photo's
candidates (out of sample), and within the training photos, fitted on half the tools and
measured on the other half.
"""

import numpy as np

from bench.cross_photo import base_crops, shots
from inference.calibration import Calibration, accept_rate_at_far, events, reliability


def isotonic(x: np.ndarray, y: np.ndarray, w: np.ndarray):
    """Weighted pool-adjacent-violators: a non-decreasing step map from x to the rate of y."""
    order = np.argsort(x)
    blocks: list[list[float]] = []  # [value, weight, largest x]
    for xi, yi, wi in zip(x[order], y[order].astype(float), w[order]):
        blocks.append([yi, wi, xi])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, x2 = blocks.pop()
            v1, w1, _ = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, x2])
    xs = np.array([b[2] for b in blocks])
    vs = np.array([b[0] for b in blocks])
    return lambda p: vs[np.clip(np.searchsorted(xs, p), 0, len(vs) - 1)]


def even_odds(y: np.ndarray) -> np.ndarray:
    return np.where(y, 0.5 / max(1, y.sum()), 0.5 / max(1, (~y).sum()))


def gap(p: np.ndarray, y: np.ndarray) -> float:
    return max(abs(d.predicted - d.observed) for d in reliability(p, y))


def line(name: str, p: np.ndarray, y: np.ndarray) -> str:
    rates = [accept_rate_at_far(p, y, far)[0] for far in (0.01, 0.001)]
    return (
        f"  {name:<16} worst decile gap {gap(p, y):5.1f} points, "
        f"accept rate at FAR 1% {rates[0]:.3f}, at 0.1% {rates[1]:.3f}"
    )


def main() -> int:
    for variants in (0, 6):
        crops = [c for c, _ in shots(base_crops(), variants, 0)]
        training = [c for c in crops if not c.photo.startswith("kit/")]
        kit = [c for c in crops if c.photo.startswith("kit/")]
        fit = Calibration.fit(*events(training, rounds=3))
        tools = sorted({c.tool for c in training})
        fold = {t: i % 2 for i, t in enumerate(tools)}
        halves = []  # per half of the tools: cross-fitted probabilities and genuine flags
        for f in range(2):
            others = Calibration.fit(*events([c for c in training if fold[c.tool] != f], rounds=3))
            queried = [c for c in training if fold[c.tool] == f]
            found, genuine = events(training, queries=queried, rounds=3)
            halves.append((others.probability(found), np.array(genuine, bool)))
        p_all = np.concatenate([p for p, _ in halves])
        y_all = np.concatenate([y for _, y in halves])
        step = isotonic(p_all, y_all, even_odds(y_all))
        found, genuine = events(crops, queries=kit, rounds=4)
        y = np.array(genuine, bool)
        p = fit.probability(found)
        title = "as photographed" if not variants else f"{variants} perturbed shots per crop"
        print(
            f"== {title}: real kit photo vs single/ + catalog/, {y.sum()} genuine / {(~y).sum()} impostors"
        )
        print(line("logistic (app)", p, y))
        print(line("+ isotonic", step(p), y))
        for (pf, yf), (pm, ym), name in (
            (halves[0], halves[1], "A -> B"),
            (halves[1], halves[0], "B -> A"),
        ):
            inside = isotonic(pf, yf, even_odds(yf))
            print(f" within single/ + catalog/, isotonic fitted on half {name}:")
            print(line("logistic (app)", pm, ym))
            print(line("+ isotonic", inside(pm), ym))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
