"""Pages that show what happened: a tool instance, an engineer, an issue, and the JSON reports."""

import json

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from toolcrib.crib import history, reports, sites
from toolcrib.crib.models import Engineer, Issue, Return, ToolInstance
from toolcrib.front import access
from toolcrib.front.metrology import CalibrationRecordForm


@access.needs(access.VIEW)
def tool_instance(request, pk):
    tool = get_object_or_404(
        sites.visible(ToolInstance.objects.select_related("tool_type"), request.user), pk=pk
    )
    return render(
        request,
        "front/tool_instance.html",
        {
            "tool": tool,
            "holder": tool.open_issued_tool(),
            "history": history.tool_history(tool),
            "enrolments": tool.enrolments.select_related("enrolled_by"),
            "can_enrol": request.user.has_perm(access.ENROL),
            "calibrations": tool.calibration_records.select_related("recorded_by"),
            "calibration_form": CalibrationRecordForm(label_suffix="")
            if request.user.has_perm(access.CALIBRATE)
            else None,
        },
    )


@access.needs(access.VIEW)
def engineer(request, pk):
    person = get_object_or_404(Engineer, pk=pk)
    held = (
        sites.visible(person.held_tools(), request.user)
        .select_related("tool_instance__tool_type", "issue", "returned")
        .order_by("due_back")
    )
    return render(
        request,
        "front/engineer.html",
        {
            "engineer": person,
            "held": held,
            "history": history.engineer_history(person, request.user),
        },
    )


@access.needs(access.VIEW)
def issue(request, pk):
    the_issue = get_object_or_404(
        sites.visible(Issue.objects.select_related("engineer", "storekeeper"), request.user), pk=pk
    )
    tools = sites.visible(the_issue.tools.all(), request.user).select_related(
        "tool_instance__tool_type", "returned__tool_return"
    )
    return render(request, "front/issue.html", {"issue": the_issue, "tools": tools})


@access.needs(access.VIEW)
def issue_report(request, pk):
    return _download(
        reports.issue_report(
            get_object_or_404(sites.visible(Issue.objects.all(), request.user), pk=pk), request
        ),
        f"issue-{pk}.json",
    )


@access.needs(access.VIEW)
def return_report(request, pk):
    return _download(
        reports.return_report(
            get_object_or_404(sites.visible(Return.objects.all(), request.user), pk=pk), request
        ),
        f"return-{pk}.json",
    )


def _download(report, filename):
    response = HttpResponse(json.dumps(report, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
