"""The desk's actions on an extra line (not a tool, this is AT-…, foreign tool) and QA's closing
of a foreign tool report, without JavaScript: each posts, then goes back where it came from
(the return page or the dashboard). The work is done in toolcrib/crib/extras.py."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from toolcrib.crib import extras, sites
from toolcrib.crib.models import ForeignToolReport, ReturnedTool
from toolcrib.crib.services import CribError
from toolcrib.front import access


def _back(request, default):
    """To the page the form was on, if it is one of ours; else `default`."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(default)


def _act(request, act, done, back):
    """One action: a refusal becomes an error message, success `done`'s message; then back."""
    try:
        result = act()
    except CribError as e:
        messages.error(request, str(e))
    else:
        done(result)
    return _back(request, back)


@require_POST
@access.needs(access.RECOUNT)
def not_a_tool(request, pk):
    line = get_object_or_404(sites.visible(ReturnedTool.objects.all(), request.user), pk=pk)
    return _act(
        request,
        lambda: extras.not_a_tool(line, user=request.user, note=request.POST.get("note", "")),
        lambda _: messages.success(request, "Dismissed: not a tool. The crop stays in the return."),
        line.tool_return,
    )


@require_POST
@access.needs(access.RECOUNT)
def identify(request, pk):
    line = get_object_or_404(sites.visible(ReturnedTool.objects.all(), request.user), pk=pk)
    number, note = request.POST.get("number", ""), request.POST.get("note", "")
    return _act(
        request,
        lambda: extras.identify(line, number, user=request.user, note=note),
        lambda found: messages.success(request, f"Found: {found.reason}."),
        line.tool_return,
    )


@require_POST
@access.needs(access.RECOUNT)
def foreign(request, pk):
    line = get_object_or_404(sites.visible(ReturnedTool.objects.all(), request.user), pk=pk)
    return _act(
        request,
        lambda: extras.report_foreign(line, user=request.user, note=request.POST.get("note", "")),
        lambda _: messages.warning(
            request, "Foreign tool reported to QA: on QA's list until QA closes it."
        ),
        line.tool_return,
    )


@require_POST
@access.needs(access.CLOSE_FOREIGN)
def close_report(request, pk):
    report = get_object_or_404(sites.visible(ForeignToolReport.objects.all(), request.user), pk=pk)
    return _act(
        request,
        lambda: extras.close_report(report, user=request.user, note=request.POST.get("note", "")),
        lambda _: messages.success(request, f"Foreign tool report {report.pk} closed."),
        "home",
    )
