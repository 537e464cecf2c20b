"""The return desk: engineer (or found from the photo), photo, boxes -> the match per tool,
then a manual recount for whatever did not pass."""

from collections import Counter

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from toolcrib.crib import recognition, services, sites
from toolcrib.crib.holders import likely_holder
from toolcrib.crib.models import Return, ReturnedTool, Site, ToolInstance
from toolcrib.crib.services import CribError
from toolcrib.front import access
from toolcrib.front.kit_form import KitForm, engineer_choices
from toolcrib.front.pick import EngineerField


class ReturnForm(KitForm):
    engineer = EngineerField(required=False)
    # A normal return is the default: most returns during a shift are partial (a tool back
    # when its job step is done), and a tool still in the engineer's hand is not missing.
    # At the end of the shift or the job the desk says so, and the rest go to a recount.
    ends = forms.ChoiceField(
        choices=Return.Ends.choices,
        initial=Return.Ends.NOTHING,
        widget=forms.RadioSelect,
        label="This return ends",
    )
    site: Site | None = None  # the desk's, when limited: whose tools the photo is matched to

    def clean(self):
        data = super().clean()
        if self.errors or data.get("engineer"):
            return data
        holders = {
            t.issue.engineer
            for n in self.scanned()
            if (tool := ToolInstance.objects.filter(inventory_number__iexact=n).first())
            and (t := tool.open_issued_tool())
        }
        if len(holders) == 1:  # the tools scanned say whose they are
            data["engineer"] = holders.pop()
            return data
        boxes = [line["box"] for line in self.boxed()]
        tools = (
            recognition.recognise_photo(data["photo"], boxes, in_crib_only=False, site=self.site)
            if boxes
            else []
        )
        data["engineer"] = likely_holder(tools)
        if data["engineer"] is None:
            self.add_error(
                "engineer", "The photo does not show whose tools these are: pick the engineer."
            )
        return data


@access.needs(access.RETURN)
def new_return(request):
    form = ReturnForm(request.POST or None, engineer=request.GET.get("engineer", ""))
    form.site = sites.site_of(request.user)
    if request.method == "POST" and form.is_valid():
        photo = form.cleaned_data["photo"]
        try:
            tool_return = services.return_tools(
                engineer=form.cleaned_data["engineer"],
                desk_user=request.user,
                sightings=[(photo, line["box"]) for line in form.boxed()],
                idempotency_key=form.cleaned_data["idempotency_key"],
                scanned_numbers=form.scanned(),
                ends=form.cleaned_data["ends"],
            )
        except CribError as e:
            form.add_error(None, str(e))
        else:
            return redirect(tool_return)
    return render(
        request,
        "front/return_new.html",
        {
            "form": form,
            "engineers": engineer_choices(),
            "state": form.editor_state(),
            "purpose": "return",
        },
    )


@access.needs(access.VIEW)
def return_page(request, pk):
    tool_return = get_object_or_404(
        sites.visible(Return.objects.select_related("engineer", "desk_user"), request.user), pk=pk
    )
    lines = list(
        sites.visible(tool_return.tools.all(), request.user).select_related(
            "issued_tool__tool_instance__tool_type",
            "decided_by",
            "identified_as",
            "foreign_report__closed_by",
        )
    )
    for line in lines:
        line.issue_size, line.return_size = same_scale(
            line.issued_tool.box if line.issued_tool else None, line.box
        )
    # What the desk still has to decide comes first: looks, then recounts, then the rest.
    first = [
        ReturnedTool.Decision.CONFIRM_BY_EYE,
        ReturnedTool.Decision.RECOUNT_REQUIRED,
        ReturnedTool.Decision.EXTRA,
    ]
    lines.sort(key=lambda line: first.index(line.decision) if line.decision in first else 3)
    counts = Counter(line.decision for line in lines)
    still_out = list(
        sites.visible(tool_return.still_out_tools.all(), request.user)
        .select_related("tool_instance__tool_type")
        .order_by("pk")
    )
    return render(
        request,
        "front/return.html",
        {
            "tool_return": tool_return,
            "lines": lines,
            "accepted": counts[ReturnedTool.Decision.ACCEPTED],
            "to_confirm": counts[ReturnedTool.Decision.CONFIRM_BY_EYE],
            "confirmed": counts[ReturnedTool.Decision.CONFIRMED],
            "open": counts[ReturnedTool.Decision.RECOUNT_REQUIRED],
            "extra": counts[ReturnedTool.Decision.EXTRA],
            "missing": counts[ReturnedTool.Decision.MISSING],
            "recounted": counts[ReturnedTool.Decision.RECOUNTED_ACCEPTED],
            "can_decide": request.user.has_perm(access.RECOUNT),
            "still_out": still_out,
            # Lines whose marking the marking reader has not read yet (they may still change).
            "marking_pending": sum(line.marking_pending for line in lines),
        },
    )


PAIR_SIDE = 220  # px: the larger of the two crops fills this


def same_scale(issue_box, return_box):
    """Display sizes (w, h) of the issue and return crops at one scale, so that a tool that
    looks longer in one photo than the other shows it (None for a missing crop)."""
    boxes = [b for b in (issue_box, return_box) if b]
    if not boxes:
        return None, None
    scale = PAIR_SIDE / max(max(b[2] - b[0], b[3] - b[1]) for b in boxes)

    def size(b):
        return None if not b else (round((b[2] - b[0]) * scale), round((b[3] - b[1]) * scale))

    return size(issue_box), size(return_box)


@require_POST
@access.needs(access.RECOUNT)
def confirm_by_eye(request, pk):
    """Without JavaScript: the picked lines of return `pk` confirmed by eye, then the page again
    (the page's script does the same through the API, without reloading)."""
    tool_return = get_object_or_404(sites.visible(Return.objects.all(), request.user), pk=pk)
    picked = [v for v in request.POST.getlist("line") if v.isdigit()]
    lines = list(tool_return.tools.filter(pk__in=picked))
    try:
        services.confirm_by_eye(lines, user=request.user)
    except CribError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"{len(lines)} confirmed by eye: back in the crib.")
    return redirect(tool_return)


@require_POST
@access.needs(access.RECOUNT)
def decide_recount(request, pk):
    line = get_object_or_404(
        sites.visible(ReturnedTool.objects.all(), request.user).select_related(
            "issued_tool__tool_instance"
        ),
        pk=pk,
    )
    found = request.POST.get("found") == "yes"
    try:
        services.decide_recount(
            line, user=request.user, found=found, reason=request.POST.get("reason", "")
        )
    except CribError as e:
        messages.error(request, str(e))
    else:
        tool = line.issued_tool.tool_instance
        if found:
            messages.success(request, f"{tool} recounted and accepted: back in the crib.")
        else:
            messages.warning(
                request,
                f"{tool} marked missing: the tool is now lost and QA is alerted on the dashboard.",
            )
    return redirect(line.tool_return)


@require_POST
@access.needs(access.RECOUNT)
def close_up(request, pk):
    """A close-up of one undecided line's tool: its marking read decides the line."""
    line = get_object_or_404(
        sites.visible(ReturnedTool.objects.select_related("tool_return"), request.user), pk=pk
    )
    upload = request.FILES.get("close_up")
    if upload is None:
        messages.error(request, "Take or choose a close-up of the tool's number first.")
        return redirect(line.tool_return)
    try:
        line, check = services.read_close_up(line, upload.read(), user=request.user)
    except CribError as e:
        messages.error(request, str(e))
    else:
        tool = line.issued_tool.tool_instance
        if line.decision == ReturnedTool.Decision.ACCEPTED:
            messages.success(request, f"{tool}: {check.message} on the close-up; back in the crib.")
        else:
            messages.warning(request, f"{tool}: {check.message} on the close-up; recount it.")
    return redirect(line.tool_return)
