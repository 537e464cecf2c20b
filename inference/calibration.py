"""From a raw match to a probability that it is the same tool, and from a risk to a threshold.

A *candidate* is a returned crop set against one tool the engineer holds. What is known of it:
- `match`: the raw similarity, match % (cosine + 1) / 2 x 100, kept for audit;
- `margin`: match minus the best match of the same crop against any *other* tool held (points;
  a tool that is clearly itself stands out from the rest of the kit);
- `agree`: the type the model reads on the crop against the held tool's type: +1 same,
  -1 differs, 0 the model is not sure.

`Calibration.fit` learns P(same tool | match, margin, agree) by logistic regression (Platt
scaling with two more inputs) on *genuine* candidates (two different photos of one tool) and
*impostor* candidates (photos of different tools, same type and other types), the two classes
weighted equally: the probability is the one for even odds before looking. Where a tool type
has enough genuine candidates it gets its own offset (shrunk toward zero where data is thin):
some types are harder than others. Pure numpy/scipy; no Django.

`events(...)` builds the candidates from a set of crops of known tools, the way the return
desk meets them: every crop against one photo of every tool (its own from another photo), and
again with its own tool removed (a tool returned that is not the one issued).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

# Fewer genuine candidates than this (or no impostors) and the crib's own data is not used:
# FALLBACK, fitted on the shared photos' different-photo pairs, stands in.
MIN_GENUINE = 20
MIN_TYPE_GENUINE = 8  # a type gets its own offset from this many genuine candidates
_L2 = 1e-4  # ridge on the slopes: keeps a fit on few points from going to infinity
_L2_TYPE = (
    1e-2  # stronger on the per-type offsets: a type moves away from the rest only on evidence
)


@dataclass(frozen=True)
class Candidate:
    match: float  # percent
    margin: float  # points above the next best held tool (negative: another held tool is closer)
    agree: int  # +1 same type, -1 differs, 0 unsure
    type_key: str | None = None  # the held tool's type, for a per-type offset
    # The pair the assignment would make for this returned tool (its best held tool), as
    # opposed to the other held tools it was also compared with.
    chosen: bool = True


@dataclass
class Calibration:
    """Weights of the logistic model; `source` says what it was fitted on (shown to the admin)."""

    weights: tuple[float, ...]  # bias, match, margin, agree, differs
    type_offsets: dict[str, float] = field(default_factory=dict)
    source: str = ""
    genuine: int = 0
    impostors: int = 0

    @classmethod
    def fit(
        cls, candidates: list[Candidate], genuine: list[bool], *, source: str = ""
    ) -> Calibration:
        x = _design(candidates)
        y = np.asarray(genuine, dtype=np.float64)
        n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
        if n_pos == 0 or n_neg == 0:
            raise ValueError("calibration needs both genuine and impostor candidates")
        w = np.where(y == 1, 0.5 / n_pos, 0.5 / n_neg)  # even odds
        counts: dict[str, int] = {}
        for c, g in zip(candidates, genuine):
            if g and c.type_key is not None:
                counts[c.type_key] = counts.get(c.type_key, 0) + 1
        types = sorted(k for k, n in counts.items() if n >= MIN_TYPE_GENUINE)
        t = np.array(
            [[c.type_key == k for k in types] for c in candidates], dtype=np.float64
        ).reshape(len(candidates), len(types))
        n = x.shape[1]

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            z = x @ theta[:n] + t @ theta[n:]
            # log(1 + e^z) - y z, weighted; logaddexp keeps it finite for large |z|
            value = np.sum(w * (np.logaddexp(0, z) - y * z))
            value += _L2 * np.sum(theta[1:n] ** 2) + _L2_TYPE * np.sum(theta[n:] ** 2)
            p = 1 / (1 + np.exp(-z))
            grad_z = w * (p - y)
            grad = np.concatenate([x.T @ grad_z, t.T @ grad_z])
            grad[1:n] += 2 * _L2 * theta[1:n]
            grad[n:] += 2 * _L2_TYPE * theta[n:]
            return float(value), grad

        theta = minimize(loss, np.zeros(n + len(types)), jac=True, method="L-BFGS-B").x
        return cls(
            weights=tuple(float(v) for v in theta[:n]),
            type_offsets={k: float(v) for k, v in zip(types, theta[n:])},
            source=source,
            genuine=n_pos,
            impostors=n_neg,
        )

    def probability(self, candidates: list[Candidate]) -> np.ndarray:
        """P(same tool) for each candidate, 0..1."""
        if not candidates:
            return np.zeros(0)
        z = _design(candidates) @ np.asarray(self.weights)
        z += np.array([self.type_offsets.get(c.type_key or "", 0.0) for c in candidates])
        return 1 / (1 + np.exp(-z))

    def percent(self, candidate: Candidate) -> float:
        return float(self.probability([candidate])[0] * 100)

    def to_dict(self) -> dict:
        return {
            "weights": list(self.weights),
            "type_offsets": self.type_offsets,
            "source": self.source,
            "genuine": self.genuine,
            "impostors": self.impostors,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Calibration:
        return cls(
            weights=tuple(data["weights"]),
            type_offsets=dict(data.get("type_offsets") or {}),
            source=data.get("source", ""),
            genuine=int(data.get("genuine", 0)),
            impostors=int(data.get("impostors", 0)),
        )


def _design(candidates: list[Candidate]) -> np.ndarray:
    # Inputs scaled to about -1..1 so that one ridge weight suits all of them.
    return np.array(
        [
            [1.0, (c.match - 75) / 25, c.margin / 25, float(c.agree == 1), float(c.agree == -1)]
            for c in candidates
        ],
        dtype=np.float64,
    ).reshape(len(candidates), 5)


# Fitted by `uv run python -m bench.cross_photo --fit` on the shared photos (different-photo
# pairs with perturbations, see docs/calibration.md); used while the crib has too few enrolments.
FALLBACK = Calibration(
    weights=(0.6408, 0.5967, 0.4088, 2.2348, -1.0837),
    source="fitted on the shared photos: kit, single and catalogue crops, 6 perturbed shots each",
)


# --- candidates from crops of known tools ----------------------------------------------------


@dataclass(frozen=True)
class Sighting:
    """One tool in one shot: which tool, its type, which photo (and which shot of it: a photo
    may be perturbed into several shots), and what the model made of it."""

    tool: str
    type_key: str
    photo: str
    feature: np.ndarray  # unit length
    read_type: str | None  # the type the model is sure of on this crop, else None
    shot: str = ""  # defaults to the photo


def agreement(read_type: str | None, held_type: str) -> int:
    return 0 if read_type is None else (1 if read_type == held_type else -1)


def events(
    crops: list[Sighting],
    *,
    queries: list[Sighting] | None = None,
    same_photo: bool = False,
    rounds: int = 1,
    with_removed: bool = True,
) -> tuple[list[Candidate], list[bool]]:
    """Candidates as the return desk meets them.

    Each query crop (default: every crop) is a returned tool. The engineer 'holds' one crop of
    every tool, taken from *other photos* (or, with `same_photo`, from other shots of the same
    photo: issue and return on one table); round r takes each tool's r-th such crop, so several
    rounds use several photos. Every held tool gives a candidate, genuine for the query's own
    tool. With `with_removed`, the query's own tool is then taken away and the held tool the
    assignment would pick instead gives one more impostor candidate: a tool returned that was
    never issued to this engineer."""
    candidates: list[Candidate] = []
    genuine: list[bool] = []
    for q in crops if queries is None else queries:
        pool: dict[str, list[Sighting]] = {}
        for c in crops:
            if (c.photo == q.photo) == same_photo and (c.shot or c.photo) != (q.shot or q.photo):
                pool.setdefault(c.tool, []).append(c)
        for r in range(rounds):
            held = [options[r % len(options)] for options in pool.values()]
            if len(held) < 2 or (r and all(len(o) <= r for o in pool.values())):
                continue
            _add_events(q, held, with_removed, candidates, genuine)
    return candidates, genuine


def _add_events(
    q: Sighting,
    held: list[Sighting],
    with_removed: bool,
    candidates: list[Candidate],
    genuine: list[bool],
) -> None:
    match = (np.stack([h.feature for h in held]) @ q.feature + 1) * 50
    add_scored(q, [(h.tool, h.type_key) for h in held], match, with_removed, candidates, genuine)


def add_scored(
    q: Sighting,
    held: list[tuple[str, str]],
    match: np.ndarray,
    with_removed: bool,
    candidates: list[Candidate],
    genuine: list[bool],
) -> None:
    """The candidates of one returned crop `q` against the held tools ((tool, type) each),
    given its match % with each of them (however that was scored: one reference or a
    gallery)."""
    agree = [agreement(q.read_type, type_key) for _, type_key in held]
    everyone = list(range(len(held)))

    # The assignment's choice: the closest held tool, a type disagreement counting against it
    # as in inference.kits (CLASS_PENALTY, 10 points).
    def pick(among: list[int]) -> int:
        return max(among, key=lambda i: match[i] - 10 * (agree[i] == -1))

    best = pick(everyone)
    chosen = [(k, everyone, held[k][0] == q.tool, k == best) for k in everyone]
    rest = [i for i in everyone if held[i][0] != q.tool]
    if with_removed and len(rest) < len(held) and len(rest) >= 2:
        chosen.append((pick(rest), rest, False, True))
    for k, among, is_genuine, is_chosen in chosen:
        next_best = max(match[i] for i in among if i != k)
        candidates.append(
            Candidate(
                float(match[k]),
                float(match[k] - next_best),
                agree[k],
                held[k][1],
                is_chosen,
            )
        )
        genuine.append(is_genuine)


# --- measuring it -----------------------------------------------------------------------------


@dataclass
class Decile:
    low: float  # predicted %, bin edges
    high: float
    predicted: float  # mean predicted % in the bin (equal-odds weighting)
    observed: float  # share of genuine in the bin, %
    count: int


def reliability(p: np.ndarray, genuine: np.ndarray, bins: int = 10) -> list[Decile]:
    """Calibrated % against the observed share of genuine candidates, per tenth of the scale,
    with genuine and impostors weighted to even odds (as the calibration is fitted)."""
    p, y = np.asarray(p, float), np.asarray(genuine, bool)
    w = np.where(y, 0.5 / max(1, y.sum()), 0.5 / max(1, (~y).sum()))
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = (p >= lo) & ((p < hi) if b < bins - 1 else (p <= hi))
        if not inside.any():
            continue
        ww = w[inside]
        out.append(
            Decile(
                lo * 100,
                hi * 100,
                float(np.sum(ww * p[inside]) / ww.sum() * 100),
                float(np.sum(ww * y[inside]) / ww.sum() * 100),
                int(inside.sum()),
            )
        )
    return out


def accept_rate_at_far(scores: np.ndarray, genuine: np.ndarray, far: float) -> tuple[float, float]:
    """(share of genuine accepted, score threshold) when at most `far` of impostors may pass
    (accept = score >= threshold)."""
    scores, y = np.asarray(scores, float), np.asarray(genuine, bool)
    neg = np.sort(scores[~y])[::-1]
    allowed = int(np.floor(far * len(neg)))
    threshold = float(np.nextafter(neg[allowed], np.inf)) if allowed < len(neg) else float(neg[-1])
    return float((scores[y] >= threshold).mean()) if y.any() else 0.0, threshold


# --- the admin's risk, in the crib's own figures -------------------------------------------


@dataclass(frozen=True)
class OperatingPoint:
    probability: float  # accept at or above this calibrated probability (0..1), same type
    false_accepts: float  # per 1,000 returned tools that are not the tool issued, as measured
    # ... and the most it could be at 95 % confidence on this many cases (few cases: high)
    false_accepts_upper: float
    accepted: float  # share of genuine returned tools accepted without a look, 0..1


def operating_points(
    calibration: Calibration, candidates: list[Candidate], genuine: list[bool]
) -> list[OperatingPoint]:
    """What each acceptance level costs, on the pairs the desk would meet (`chosen`): false
    accepts among returned tools that were not the tool issued (their own tool removed),
    against the share of genuine returns accepted without confirmation or recount. Acceptance
    needs the same type read by the model and the best match of the kit (margin > 0)."""
    # Imported here, not at the top: scipy.stats was a third of every Django process's start-up
    # (manage.py commands, serve, gunicorn, the marking reader), and only a calibration fit
    # needs it.
    from scipy.stats import beta

    p = calibration.probability(candidates)
    y = np.asarray(genuine, bool)
    chosen = np.array([c.chosen for c in candidates], bool)
    ok = np.array([c.agree == 1 and c.margin > 0 for c in candidates], bool) & chosen
    impostors, genuine_chosen = chosen & ~y, chosen & y
    n_imp, n_gen = max(1, int(impostors.sum())), max(1, int(y.sum()))
    levels = sorted({round(float(v), 4) for v in p[ok]} | {1.0})
    points = []
    for level in levels:
        accept = ok & (p >= level)
        wrong = int((accept & impostors).sum())
        points.append(
            OperatingPoint(
                level,
                wrong / n_imp * 1000,
                float(beta.ppf(0.95, wrong + 1, n_imp - wrong)) * 1000,
                float((accept & genuine_chosen).sum()) / n_gen,
            )
        )
    return points


def level_for_risk(points: list[OperatingPoint], risk: float) -> OperatingPoint | None:
    """The most generous level whose false accepts stay within `risk` per 1,000 even at the
    95 % upper bound (so a crib with few enrolments cannot claim a low risk it has not seen);
    never below 0.5 (a tool is accepted only when it is more likely itself than not). None when
    no level is safe enough: then nothing is accepted without a look."""
    fitting = [pt for pt in points if pt.false_accepts_upper <= risk and pt.probability >= 0.5]
    if not fitting:
        return None
    return min(fitting, key=lambda pt: pt.probability)


# What FALLBACK costs at each level on those photos (same command): probability level, false
# accepts per 1,000 (measured, 95 % upper bound), share of genuine accepted without a look.
FALLBACK_POINTS = [
    OperatingPoint(*row)
    for row in (
        (0.9265, 57.09, 70.29, 0.2236),
        (0.9483, 55.19, 68.21, 0.2051),
        (0.9687, 34.25, 44.98, 0.1781),
        (0.9787, 3.81, 8.69, 0.0613),
        (1.0000, 0.00, 2.85, 0.0000),
    )
]


# --- cross-fitted measurement (evaluate, bench/cross_photo.py) --------------------------------


def cross_fitted(
    crops: list[Sighting], *, same_photo: bool = False, rounds: int = 3, folds: int = 2
) -> tuple[list[Candidate], list[bool], np.ndarray]:
    """Candidates with *out-of-sample* calibrated probabilities: the tools are split into folds;
    each fold's tools are returned against a kit of every tool, with a calibration fitted on
    the other folds' tools only (always on different-photo pairs)."""
    tools = sorted({c.tool for c in crops})
    fold_of = {t: i % folds for i, t in enumerate(tools)}
    candidates, genuine, probability = [], [], []
    for f in range(folds):
        training = [c for c in crops if fold_of[c.tool] != f]
        fitted = Calibration.fit(*events(training, rounds=rounds))
        queries = [c for c in crops if fold_of[c.tool] == f]
        found, is_genuine = events(crops, queries=queries, same_photo=same_photo, rounds=rounds)
        candidates += found
        genuine += is_genuine
        probability.append(fitted.probability(found))
    return candidates, genuine, np.concatenate(probability) if probability else np.zeros(0)


def report_lines(
    candidates: list[Candidate], genuine: list[bool], probability: np.ndarray
) -> list[str]:
    """Accept rates at FAR 1 % and 0.1 % (raw and calibrated) and reliability per decile."""
    y = np.asarray(genuine, bool)
    raw = np.array([c.match for c in candidates])
    p = np.asarray(probability, float)
    lines = [f"  {int(y.sum())} genuine / {int((~y).sum())} impostor candidates"]
    if not y.any() or y.all():
        return lines + ["  (needs both genuine and impostor candidates: photos with several tools)"]
    for far in (0.01, 0.001):
        raw_rate, raw_t = accept_rate_at_far(raw, y, far)
        cal_rate, cal_t = accept_rate_at_far(p, y, far)
        lines.append(
            f"  accept rate at FAR {far:.1%}: raw match {raw_rate:.3f} (from {raw_t:.1f}%), "
            f"calibrated {cal_rate:.3f} (from {cal_t * 100:.1f}%)"
        )
    lines.append("  reliability per decile (calibrated % / observed % / candidates):")
    worst = 0.0
    for d in reliability(p, y):
        worst = max(worst, abs(d.predicted - d.observed))
        lines.append(
            f"    {d.low:3.0f}-{d.high:3.0f}%: {d.predicted:5.1f} / {d.observed:5.1f} / {d.count}"
        )
    lines.append(f"  largest gap: {worst:.1f} points (target: within 5 in every decile)")
    return lines
