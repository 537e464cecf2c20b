"""The crib's own match calibration: fitted on its enrolment photos (several photos per tool,
different days and tables), refitted when enrolments change; the built-in one until there
are enough of them. The pure part is inference/calibration.py."""

import logging
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Max

from inference import calibration as cal
from inference import runtime
from toolcrib.crib.models import CalibrationFit, Enrolment, ToolType

log = logging.getLogger(__name__)

# A refit on enrolment reads at most this many enrolments (the newest): a few seconds at most.
# `manage.py calibrate` reads them all.
MAX_ON_CHANGE = 3000


@dataclass
class InUse:
    """The calibration the return desk uses now, and what it costs at each level."""

    calibration: cal.Calibration
    points: list[cal.OperatingPoint]
    own: bool  # fitted on the crib's own enrolments (else the built-in one)
    fit: CalibrationFit | None
    stale: bool  # enrolments changed since the fit

    def level(self, risk: float) -> float | None:
        point = cal.level_for_risk(self.points, risk)
        return None if point is None else point.probability

    def point(self, risk: float) -> cal.OperatingPoint | None:
        return cal.level_for_risk(self.points, risk)

    @property
    def description(self) -> str:
        if self.own:
            f = self.fit
            text = (
                f"the crib's own: fitted {f.created_at:%d %b %Y %H:%M} on {f.enrolments} enrolment "
                f"photos of {f.tools} tools ({f.genuine} genuine and {f.impostors} impostor pairs)"
            )
            return text + ("; enrolments changed since: refit pending" if self.stale else "")
        why = ""
        if self.fit is not None:
            why = (
                f" The crib's {self.fit.enrolments} enrolment photos of {self.fit.tools} tools give "
                f"{self.fit.genuine} genuine pairs; its own is used from {cal.MIN_GENUINE} "
                "(e.g. 10 tools with 3 photos each)."
            )
        return f"built in ({cal.FALLBACK.source}).{why}"


def _sha() -> str | None:
    model = runtime.get_model()
    return None if model is None else model.sha256


def _fingerprint(enrolments) -> str:
    figures = enrolments.aggregate(newest=Max("id"))
    return f"{enrolments.count()}:{figures['newest'] or 0}"


def _enrolments(sha: str):
    return Enrolment.objects.filter(model_sha256=sha).exclude(embedding=None)


def sightings(sha: str, limit: int | None = None) -> list[cal.Sighting]:
    """The crib's enrolments as calibration sightings: the tool instance is the identity, the photo
    tells two photos apart, the type the model read is compared with the tool's type."""
    type_of_class = dict(
        ToolType.objects.exclude(model_class_index=None).values_list("model_class_index", "pk")
    )
    rows = (
        _enrolments(sha)
        .order_by("-id")
        .values_list(
            "tool_instance_id", "tool_instance__tool_type_id", "photo_id", "embedding", "read_class"
        )
    )
    if limit:
        rows = rows[:limit]
    out = []
    for tool, tool_type, photo, embedding, read_class in rows:
        read = type_of_class.get(read_class)
        out.append(
            cal.Sighting(
                tool=str(tool),
                type_key=str(tool_type),
                photo=str(photo),
                feature=np.asarray(embedding, dtype=np.float64),
                read_type=None if read is None else str(read),
            )
        )
    return out


def refit(*, limit: int | None = None) -> CalibrationFit | None:
    """Fit on the crib's enrolments now and keep the result (None when recognition is off)."""
    sha = _sha()
    if sha is None:
        return None
    enrolments = _enrolments(sha)
    fingerprint = _fingerprint(enrolments)
    found = sightings(sha, limit)
    candidates, genuine = cal.events(found, rounds=3)
    n_genuine = int(sum(genuine))
    parameters, points = None, []
    if n_genuine >= cal.MIN_GENUINE and len(genuine) > n_genuine:
        fitted = cal.Calibration.fit(candidates, genuine, source="the crib's enrolment photos")
        parameters = fitted.to_dict()
        points = [p.__dict__ for p in cal.operating_points(fitted, candidates, genuine)]
    return CalibrationFit.objects.create(
        model_sha256=sha,
        enrolments=len(found),
        tools=len({c.tool for c in found}),
        genuine=n_genuine,
        impostors=len(genuine) - n_genuine,
        parameters=parameters,
        points=points,
        fingerprint=fingerprint,
    )


def refit_after_commit():
    """Enrolments changed: refit once the change is committed (a failed fit is logged and
    leaves the previous one in use; `manage.py calibrate` can be run by hand)."""

    def run():
        try:
            refit(limit=MAX_ON_CHANGE)
        except Exception:  # the enrolment itself succeeded; do not turn it into an error
            log.exception("refitting the match calibration failed")

    transaction.on_commit(run)


def in_use() -> InUse:
    sha = _sha()
    fit = CalibrationFit.objects.filter(model_sha256=sha).first() if sha else None
    stale = fit is not None and fit.fingerprint != _fingerprint(_enrolments(sha))
    if fit is not None and fit.parameters:
        return InUse(
            cal.Calibration.from_dict(fit.parameters),
            [cal.OperatingPoint(**p) for p in fit.points],
            own=True,
            fit=fit,
            stale=stale,
        )
    return InUse(cal.FALLBACK, cal.FALLBACK_POINTS, own=False, fit=fit, stale=stale)
