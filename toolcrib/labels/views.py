"""The labels page: pick tools (all, one tool type, or a selection) and a layout, download the
PDF. Printing changes nothing, so whoever may see the tools may print their labels."""

from django import forms
from django.http import HttpResponse
from django.shortcuts import render

from toolcrib.crib import sites
from toolcrib.crib.models import ToolInstance, ToolType
from toolcrib.front import access
from toolcrib.labels.printing import LAYOUTS, labels_pdf


class LabelsForm(forms.Form):
    which = forms.ChoiceField(
        choices=[("all", "All tools"), ("type", "Tools of one type"), ("tools", "These tools")],
        widget=forms.RadioSelect,
        initial="tools",
    )
    tool_type = forms.ModelChoiceField(ToolType.objects.order_by("name"), required=False)
    tool = forms.ModelMultipleChoiceField(
        ToolInstance.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    layout = forms.ChoiceField(
        choices=[(k, v.title) for k, v in LAYOUTS.items()], widget=forms.RadioSelect, initial="a4"
    )

    def __init__(self, data, user):
        super().__init__(data)
        self.user = user
        self.fields["tool"].queryset = sites.visible(ToolInstance.objects.all(), user)

    def chosen(self):
        """The chosen tools in inventory-number order; ValidationError when there are none."""
        which = self.cleaned_data["which"]
        found = sites.visible(ToolInstance.objects.all(), self.user)
        found = found.select_related("tool_type").order_by("inventory_number")
        if which == "type":
            if self.cleaned_data["tool_type"] is None:
                raise forms.ValidationError("Pick the tool type whose labels to print.")
            found = found.filter(tool_type=self.cleaned_data["tool_type"])
        elif which == "tools":
            found = found.filter(pk__in=[t.pk for t in self.cleaned_data["tool"]])
        tools = list(found)
        if not tools:
            raise forms.ValidationError(
                "Tick at least one tool." if which == "tools" else "There are no such tools."
            )
        return tools


@access.needs(access.VIEW)
def labels(request):
    """Without `layout` in the query: the page. With it: the PDF, or the page saying why not."""
    form = LabelsForm(request.GET if "layout" in request.GET else None, request.user)
    if form.is_bound and form.is_valid():
        try:
            tools = form.chosen()
        except forms.ValidationError as e:
            form.add_error(None, e)
        else:
            layout = form.cleaned_data["layout"]
            data = labels_pdf([(t.inventory_number, t.tool_type.name) for t in tools], layout)
            name = tools[0].inventory_number if len(tools) == 1 else f"{len(tools)}-tools"
            response = HttpResponse(data, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="labels-{name}-{layout}.pdf"'
            return response
    tools = sites.visible(ToolInstance.objects.all(), request.user)
    tools = tools.select_related("tool_type").order_by("inventory_number")
    picked = {str(v) for v in request.GET.getlist("tool")}
    return render(
        request,
        "labels/labels.html",
        {"form": form, "tools": tools, "picked": picked, "count": len(tools)},
    )
