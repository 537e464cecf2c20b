"""The storekeeper's issue page: engineer, photo, a box per tool, confirm."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from toolcrib.crib import loans, services
from toolcrib.crib.models import ToolInstance
from toolcrib.crib.services import CribError, ToolLine
from toolcrib.front import access
from toolcrib.front.kit_form import KitForm, engineer_choices


class IssueForm(KitForm):
    # The storekeeper's due-back time for this issue; empty: each tool type's loan period.
    due_in_hours = forms.IntegerField(required=False, min_value=1, max_value=loans.MAX_HOURS)

    def due_back(self):
        hours = self.cleaned_data.get("due_in_hours")
        return None if hours is None else timezone.now() + timedelta(hours=hours)

    def tool_lines(self) -> list[ToolLine]:
        photo = self.cleaned_data["photo"]
        out = []
        for n, line in enumerate(self.cleaned_data["lines"], 1):
            number = (line.get("inventory_number") or "").strip()
            if not number:
                raise CribError(f"Tool {n} has no inventory number: pick one for every tool.")
            tool = ToolInstance.objects.filter(inventory_number__iexact=number).first()
            if tool is None:
                raise CribError(f"There is no tool {number} in the crib's records.")
            box = line.get("box")
            scanned = not box and line.get("scanned") is True
            # `picked`: the storekeeper chose or typed this tool (not its marking, not a scan).
            hand = line.get("picked") is True and line.get("scanned") is not True
            out.append(ToolLine(tool, photo if box else None, box, scanned=scanned, typed=hand))
        return out


@access.needs(access.ISSUE)
def new_issue(request):
    form = IssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        engineer = form.cleaned_data["engineer"]
        try:
            issue = services.issue_tools(
                engineer=engineer,
                storekeeper=request.user,
                lines=form.tool_lines(),
                due_back=form.due_back(),
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except CribError as e:
            form.add_error(None, str(e))
        else:
            tools = issue.tools.all()
            due = sorted({timezone.localtime(t.due_back) for t in tools})
            when = f"{due[0]:%d %b %H:%M}" + (f" to {due[-1]:%d %b %H:%M}" if len(due) > 1 else "")
            messages.success(
                request,
                f"Issued {len(tools)} tool{'s' if len(tools) != 1 else ''} to {engineer}, "
                f"due back {when}.",
            )
            return redirect(engineer)
    return render(
        request,
        "front/issue_new.html",
        {
            "form": form,
            "engineers": engineer_choices(),
            "state": form.editor_state(),
            "purpose": "issue",
            "crib_loan": loans.crib_period(),
        },
    )
