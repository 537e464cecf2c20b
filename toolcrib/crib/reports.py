"""The JSON report of each issue and return: what went out or came back, per-tool match %,
decisions, who and when. The format is versioned; `FORMAT` changes when a field's meaning does."""

from django.urls import reverse

from toolcrib.crib.models import Issue, Return

# /2 added `marking` to every tool and `marking_check` to return lines; every /1 field is
# unchanged, so a /1 reader that ignores unknown fields reads /2 as it is (docs/api.md).
FORMAT = "toolcrib.report/3"


def _person(user):
    return user.get_username() if user else None


def _engineer(engineer):
    return {"badge_number": engineer.badge_number, "name": engineer.name}


def _crop_url(kind, crop, request=None):
    if crop is None or crop.photo_id is None:
        return None
    url = reverse("crop", args=[kind, crop.pk])
    return request.build_absolute_uri(url) if request else url


def _mat(record) -> dict | None:
    """What the kit mat showed, slot by slot, when the photo was of a kit mat (toolcrib/mats)."""
    reading = getattr(record, "mat_reading", None)  # a missing one-to-one raises AttributeError
    if reading is None:
        return None
    from toolcrib.mats.services import reading_json  # the mats app builds on the crib

    return reading_json(reading)


def issue_report(issue: Issue, request=None) -> dict:
    tools = issue.tools.select_related("tool_instance__tool_type").order_by("id")
    return {
        "format": FORMAT,
        "kind": "issue",
        "id": issue.pk,
        "created_at": issue.created_at.isoformat(),
        "engineer": _engineer(issue.engineer),
        "storekeeper": _person(issue.storekeeper),
        "tools": [
            {
                "inventory_number": t.tool_instance.inventory_number,
                "tool_type": t.tool_instance.tool_type.name,
                "box": list(t.box) if t.box else None,
                "crop_url": _crop_url("issued", t, request),
                "due_back": t.due_back.isoformat(),
                "returned_or_closed_at": t.closed_at.isoformat() if t.closed_at else None,
                "model_sha256": t.model_sha256 or None,
                "marking": t.marking_summary(),
            }
            for t in tools
        ],
        "mat": _mat(issue),
    }


def return_report(tool_return: Return, request=None) -> dict:
    lines = tool_return.tools.select_related(
        "issued_tool__tool_instance__tool_type", "decided_by", "identified_as"
    ).order_by("id")
    return {
        "format": FORMAT,
        "kind": "return",
        "id": tool_return.pk,
        "created_at": tool_return.created_at.isoformat(),
        "engineer": _engineer(tool_return.engineer),
        "desk_user": _person(tool_return.desk_user),
        "threshold_percent": tool_return.threshold,
        "accepted_risk": tool_return.accepted_risk,
        "accept_level_percent": tool_return.accept_level,
        "calibration": tool_return.calibration,
        "ends": tool_return.ends,
        # Held tools this return did not cover (not in the photo, a normal return): still out.
        "still_out": [
            {
                "inventory_number": t.tool_instance.inventory_number,
                "tool_type": t.tool_instance.tool_type.name,
                "issue_id": t.issue_id,
                "due_back": t.due_back.isoformat(),
            }
            for t in tool_return.still_out_tools.select_related(
                "tool_instance__tool_type"
            ).order_by("id")
        ],
        "tools": [
            {
                "inventory_number": line.issued_tool.tool_instance.inventory_number
                if line.issued_tool
                else None,
                "tool_type": line.issued_tool.tool_instance.tool_type.name
                if line.issued_tool
                else None,
                "issue_id": line.issued_tool.issue_id if line.issued_tool else None,
                "box": list(line.box) if line.box else None,
                "crop_url": _crop_url("returned", line, request),
                "issue_crop_url": _crop_url("issued", line.issued_tool, request),
                "match_percent": None
                if line.match_percent is None
                else round(line.match_percent, 2),
                "passed": line.passed,
                "probability": line.probability,
                "next_best_percent": line.next_best_percent,
                "decision": line.decision,
                "why": line.verdict_reason,
                "decided_by": _person(line.decided_by),
                "decided_at": line.decided_at.isoformat() if line.decided_at else None,
                "reason": line.reason,
                "model_sha256": line.model_sha256 or None,
                "marking": line.marking_summary(),
                "marking_check": line.marking_check or None,
                "identified_as": line.identified_as.inventory_number
                if line.identified_as
                else None,
                "close_up_photo_id": line.close_up_id,
            }
            for line in lines
        ],
        "mat": _mat(tool_return),
    }
