"""Matching a returned kit to the issued one, tool to tool.

Each tool is an embedding (512-d `feature`) and, where the model gives them, class
probabilities. The pairing is an optimal one-to-one assignment (Hungarian method) on feature
similarity, where a pair whose top classes differ is penalised: a screwdriver should not take
the place of a wrench because it happens to look closer to it than to the other screwdriver.
A pair whose similarity is below the floor is no match at all: the issued tool is missing and
the returned one is extra.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from .similarity import pairwise_match_percent

# Measured on ../shared/photos/single (docs/kits.md): the same tool on two backgrounds scores
# 60-99 %, two different tools 48 % (median), 57 % (90th percentile), up to 78 %.
MATCH_FLOOR = 60.0  # percent; below this an assigned pair is not the same tool
CLASS_PENALTY = 0.1  # subtracted from similarity (0..1) when both classes are sure and differ
SURE = 0.6  # top probability from which the model's class is trusted for the penalty


@dataclass(frozen=True)
class KitItem:
    feature: np.ndarray  # [512] float
    probs: np.ndarray | None = None  # [n_classes], optional
    label: int | None = None  # class index, if known without probs (e.g. enrolled tool type)

    @property
    def top_class(self) -> int | None:
        """The class, where it is known or the model is sure of it (it often is not: a crop on
        a busy background can come out as the wrong type at 0.3-0.5)."""
        if self.label is not None:
            return int(self.label)
        if self.probs is not None and float(np.max(self.probs)) >= SURE:
            return int(np.argmax(self.probs))
        return None


@dataclass(frozen=True)
class Pair:
    issued: int  # index into the issued list
    returned: int  # index into the returned list
    match: float  # match %, on the raw features
    same_class: bool | None  # None when a side's class is unknown or unsure


@dataclass(frozen=True)
class KitMatch:
    pairs: list[Pair] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)  # issued indices with no returned counterpart
    extra: list[int] = field(default_factory=list)  # returned indices that match nothing issued


def match_kit(
    issued: list[KitItem],
    returned: list[KitItem],
    *,
    floor: float = MATCH_FLOOR,
    class_penalty: float = CLASS_PENALTY,
) -> KitMatch:
    """Pair returned tools with issued ones; report what is missing and what is extra."""
    if not issued or not returned:
        return KitMatch(missing=list(range(len(issued))), extra=list(range(len(returned))))
    percent = pairwise_match_percent([i.feature for i in issued], [r.feature for r in returned])
    same = [[_same_class(i, r) for r in returned] for i in issued]  # True / False / None (unsure)
    differ = np.array([[s is False for s in row] for row in same])
    rows, cols = linear_sum_assignment(percent / 100.0 - class_penalty * differ, maximize=True)
    pairs = [
        Pair(int(i), int(r), round(float(percent[i, r]), 2), same[i][r])
        for i, r in zip(rows, cols)
        if percent[i, r] >= floor
    ]
    paired_issued = {p.issued for p in pairs}
    paired_returned = {p.returned for p in pairs}
    return KitMatch(
        pairs=pairs,
        missing=[i for i in range(len(issued)) if i not in paired_issued],
        extra=[r for r in range(len(returned)) if r not in paired_returned],
    )


def _same_class(a: KitItem, b: KitItem) -> bool | None:
    ca, cb = a.top_class, b.top_class
    return None if ca is None or cb is None else ca == cb


@dataclass(frozen=True)
class Owner:
    tool: object  # whatever the caller keys tools out elsewhere by (an issued tool, ...)
    match: float  # percent


def owners_of_extras(
    extras: list[KitItem],
    out_elsewhere: list[tuple[object, KitItem]],
    *,
    floor: float = MATCH_FLOOR,
) -> list[Owner | None]:
    """For each extra returned tool, the tool out to someone else that it is (one-to-one, the
    same assignment as a kit), or None when nothing out elsewhere matches above the floor."""
    if not extras or not out_elsewhere:
        return [None] * len(extras)
    percent = pairwise_match_percent(
        [e.feature for e in extras], [item.feature for _, item in out_elsewhere]
    )
    owners: list[Owner | None] = [None] * len(extras)
    for e, o in zip(*linear_sum_assignment(percent, maximize=True)):
        if percent[e, o] >= floor:
            owners[e] = Owner(out_elsewhere[o][0], round(float(percent[e, o]), 2))
    return owners
