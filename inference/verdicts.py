"""Three verdicts for a returned tool, each with its reason in words.

- *accepted*: a marking read on the tool confirms it; or the model reads the same type, the
  tool is the best match among what the engineer holds (margin above the next best), and the
  calibrated probability clears the level set from the admin's accepted risk.
- *confirm by eye*: the same type, or plausible: the desk looks at the two crops and confirms
  with one click (no reason needed).
- *recount*: the marking contradicts it, the type differs and the match is not plausible,
  or (decided by the caller) the tool is missing or another engineer's.

A tool that really is the one issued, read as the right type, is never sent to recount: at
worst it waits for one click (measured by `evaluate_kits`: genuine sent to recount).
"""

from __future__ import annotations

from dataclasses import dataclass

ACCEPTED = "accepted"
CONFIRM_BY_EYE = "confirm_by_eye"
RECOUNT = "recount"

# Below this calibrated probability a tool read as another type is not plausibly the one
# issued: recount. At or above it the reading may be the model's mistake: the desk looks.
# (On the synthetic kits 0.25 sent 3 of 2,970 genuine returns to recount, 0.15 none.)
PLAUSIBLE = 0.15


@dataclass(frozen=True)
class Verdict:
    kind: str  # ACCEPTED, CONFIRM_BY_EYE or RECOUNT
    reason: str


def _type_name(name: str | None) -> str:
    """'5_safety_pliers' -> 'safety pliers'; other names as they are."""
    if not name:
        return "?"
    head, _, rest = name.partition("_")
    return (rest if head.isdigit() and rest else name).replace("_", " ")


def decide(
    *,
    probability: float,
    match: float,
    next_best: float | None,
    agree: int,
    read_type: str | None,
    level: float | None,
    marking: str | None = None,
    marking_note: str = "",
    floor: float = 0.0,
) -> Verdict:
    """The verdict on one paired line.

    probability: calibrated P(same tool), 0..1; match and next_best: raw match % of this pair
    and of the best other held tool (None when the engineer holds nothing else); agree: +1 same type,
    -1 differs, 0 unsure; read_type: the type the model reads on the returned crop; level:
    the acceptance level from the risk setting (None: nothing is accepted without a look);
    floor: the expert's raw match % below which nothing is accepted without a look;
    marking: "confirmed" or "contradicted" when a marking was read and compared, else None.
    """
    note = f" ({marking_note})" if marking_note else ""
    if marking == "confirmed":
        return Verdict(ACCEPTED, f"marking confirms it{note}")
    if marking == "contradicted":
        return Verdict(RECOUNT, f"marking contradicts it{note}")
    likely = f"{probability * 100:.0f} % likely the same tool"
    figures = f"match {match:.1f} %" + (
        f", next best {next_best:.1f} %" if next_best is not None else ""
    )
    if agree == -1:
        looks = f"type differs: returned looks like {_type_name(read_type)}"
        if probability < PLAUSIBLE:
            return Verdict(RECOUNT, f"{looks} ({likely}, {figures})")
        return Verdict(CONFIRM_BY_EYE, f"{looks}, yet {likely} ({figures})")
    margin_ok = next_best is None or match > next_best
    clears = level is not None and probability >= level and match >= floor
    if agree == 1 and margin_ok and clears:
        return Verdict(ACCEPTED, f"same type, {likely} ({figures})")
    if agree == 0:
        why = "type not read with certainty"
    elif not margin_ok:
        why = "another tool the engineer holds matches as well"
    elif level is None:
        why = "the crib's data cannot yet show the accepted risk is met"
    elif probability >= level:
        why = f"match below the raw floor {floor:.1f} %"
    else:
        why = f"below the accept level {level * 100:.0f} %"
    return Verdict(
        CONFIRM_BY_EYE, f"{'same type, ' if agree == 1 else ''}{likely}: {why} ({figures})"
    )
