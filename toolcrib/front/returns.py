"""The return desk: engineer (or found from the photo), photo, boxes -> the match per tool,
then a manual recount for whatever did not pass."""

from collections import Counter

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from toolcrib.crib import recognition, services
from toolcrib.crib.holders import likely_holder
from toolcrib.crib.models import Return, ReturnedTool
from toolcrib.crib.services import CribError
from toolcrib.front import access
from toolcrib.front.kit_form import KitForm, engineer_choices
from toolcrib.front.pick import EngineerField


class ReturnForm(KitForm):
    engineer = EngineerField(required=False)

    def clean(self):
        data = super().clean()
        if self.errors or data.get("engineer"):
            return data
        boxes = [line["box"] for line in self.boxed()]
        tools = (
            recognition.recognise_photo(data["photo"], boxes, in_crib_only=False) if boxes else []
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
    if request.method == "POST" and form.is_valid():
        photo = form.cleaned_data["photo"]
        try:
            tool_return = services.return_tools(
                engineer=form.cleaned_data["engineer"],
                desk_user=request.user,
                crops=[(photo, line["box"]) for line in form.boxed()],
                idempotency_key=form.cleaned_data["idempotency_key"],
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
    tool_return = get_object_or_404(Return.objects.select_related("engineer", "desk_user"), pk=pk)
    lines = list(
        tool_return.tools.select_related("issued_tool__tool_instance__tool_type", "decided_by")
    )
    # What the desk still has to decide comes first.
    lines.sort(
        key=lambda line: (
            line.decision
            not in (ReturnedTool.Decision.RECOUNT_REQUIRED, ReturnedTool.Decision.EXTRA)
        )
    )
    counts = Counter(line.decision for line in lines)
    return render(
        request,
        "front/return.html",
        {
            "tool_return": tool_return,
            "lines": lines,
            "accepted": counts[ReturnedTool.Decision.ACCEPTED],
            "open": counts[ReturnedTool.Decision.RECOUNT_REQUIRED],
            "extra": counts[ReturnedTool.Decision.EXTRA],
            "missing": counts[ReturnedTool.Decision.MISSING],
            "recounted": counts[ReturnedTool.Decision.RECOUNTED_ACCEPTED],
            "can_decide": request.user.has_perm(access.RECOUNT),
        },
    )


@require_POST
@access.needs(access.RECOUNT)
def decide_recount(request, pk):
    line = get_object_or_404(
        ReturnedTool.objects.select_related("issued_tool__tool_instance"), pk=pk
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
