"""The admin's page for one tool instance: edit its number, type and notes, change its status
with a reason (services.save_tool and services.change_status keep the rules)."""

from django import forms
from django.contrib import messages
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from toolcrib.crib import services, sites
from toolcrib.crib.errors import CribError
from toolcrib.crib.models import ToolInstance
from toolcrib.front import access
from toolcrib.front.enrolment import HOME_FIELDS

# How each status an admin may set reads in the form.
STATUS_WORDS = {
    ToolInstance.Status.IN_CRIB: "in crib (found, mended, back)",
    ToolInstance.Status.BROKEN: "broken",
    ToolInstance.Status.IN_CALIBRATION: "in calibration (away at the lab)",
    ToolInstance.Status.LOST: "lost",
    ToolInstance.Status.RETIRED: "retired",
}


class ToolEditForm(forms.ModelForm):
    class Meta:
        model = ToolInstance
        fields = ["inventory_number", "tool_type", "notes", *HOME_FIELDS]
        widgets = {"notes": forms.TextInput}

    def clean_inventory_number(self):
        number = self.cleaned_data["inventory_number"].strip()
        if ToolInstance.objects.filter(inventory_number=number).exclude(pk=self.instance.pk):
            raise forms.ValidationError(f"Another tool already has the number {number}.")
        return number

    def validate_unique(self):
        pass  # said in the crib's words above; the database's unique index is the last word


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label="New status",
        choices=[(s.value, STATUS_WORDS[s]) for s in services.SETTABLE_STATUSES],
    )
    # Required by the service, which says so in the crib's words.
    reason = forms.CharField(
        required=False, max_length=500, help_text="Kept in the tool's history and the audit trail."
    )


@access.needs(access.EDIT_TOOLS)
def tool_edit(request, pk):
    tool = get_object_or_404(
        sites.visible(ToolInstance.objects.select_related("tool_type"), request.user), pk=pk
    )
    form = ToolEditForm(request.POST or None, instance=tool, label_suffix="")
    if request.method == "POST" and form.is_valid():
        try:
            services.save_tool(form.instance, user=request.user, fields=form.changed_data)
        except IntegrityError:  # two admins giving the same number at once
            form.add_error("inventory_number", "Another tool already has this number.")
        except CribError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"Saved {form.instance}.")
            return redirect(tool)
    status_form = StatusForm(label_suffix="", initial={"status": ""})
    return render(
        request,
        "front/tool_edit.html",
        {
            "tool": tool,
            "form": form,
            "status_form": status_form,
            "holder": tool.open_issued_tool(),
        },
    )


@require_POST
@access.needs(access.EDIT_TOOLS)
def tool_status(request, pk):
    tool = get_object_or_404(sites.visible(ToolInstance.objects.all(), request.user), pk=pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "Choose one of the statuses listed, and say why in 500 characters at most; nothing was changed.",
        )
        return redirect("tool-edit", pk)
    try:
        tool = services.change_status(
            tool, form.cleaned_data["status"], reason=form.cleaned_data["reason"], user=request.user
        )
    except CribError as e:
        messages.error(request, str(e))
        return redirect("tool-edit", pk)
    messages.success(request, f"{tool} is now {tool.get_status_display()}.")
    return redirect(tool)
