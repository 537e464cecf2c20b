"""Tool calibration pages: record a calibration (with its certificate) on a tool's page, the
certificate file, and the list of tools whose calibration falls due within N days."""

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from toolcrib.crib import metrology, sites
from toolcrib.crib.errors import CribError
from toolcrib.crib.models import CalibrationRecord, ToolInstance
from toolcrib.front import access

DATE = forms.DateInput(attrs={"type": "date"})


class CalibrationRecordForm(forms.Form):
    calibrated_on = forms.DateField(label="Calibrated on", widget=DATE)
    due_date = forms.DateField(label="Due again on", widget=DATE)
    certificate_number = forms.CharField(max_length=100)
    calibrated_by = forms.CharField(max_length=200, label="Calibrated by (lab or person)")
    certificate = forms.FileField(
        required=False, label="Certificate (PDF, JPEG or PNG)", allow_empty_file=False
    )


class DueForm(forms.Form):
    days = forms.IntegerField(min_value=0, max_value=3650, initial=30, required=False)


@require_POST
@access.needs(access.CALIBRATE)
def record_calibration(request, pk):
    tool = get_object_or_404(sites.visible(ToolInstance.objects.all(), request.user), pk=pk)
    form = CalibrationRecordForm(request.POST, request.FILES)
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label or name.replace('_', ' ')}: {' '.join(errors)}"
            for name, errors in form.errors.items()
        )
        messages.error(request, f"Nothing was recorded. {problems}")
        return redirect(tool)
    data = form.cleaned_data
    try:
        record = metrology.record_calibration(
            tool,
            metrology.Calibrated(
                data["calibrated_on"],
                data["due_date"],
                data["certificate_number"],
                data["calibrated_by"],
            ),
            certificate=data["certificate"],
            user=request.user,
        )
    except CribError as e:
        messages.error(request, str(e))
    else:
        messages.success(
            request,
            f"Calibration of {tool} recorded (certificate {record.certificate_number}); "
            f"due again on {record.due_date:%d %b %Y}.",
        )
    return redirect(tool)


@access.needs(access.VIEW)
def certificate(request, pk):
    record = get_object_or_404(sites.visible(CalibrationRecord.objects.all(), request.user), pk=pk)
    if not record.certificate:
        raise Http404
    name = record.certificate.name
    ext = name.rsplit(".", 1)[-1]
    response = FileResponse(
        record.certificate.open("rb"),
        content_type=metrology.CONTENT_TYPES.get(ext, "application/octet-stream"),
        filename=f"certificate-{record.tool_instance}-{record.certificate_number}.{ext}",
    )
    response["Cache-Control"] = "private"
    return response


@access.needs(access.VIEW)
def calibration_due(request):
    form = DueForm(request.GET or None, label_suffix="")
    days = DueForm.base_fields["days"].initial  # also when the number given is refused
    if form.is_valid() and form.cleaned_data["days"] is not None:
        days = form.cleaned_data["days"]
    today = timezone.localdate()
    return render(
        request,
        "front/calibration_due.html",
        {
            "form": form,
            "days": days,
            "today": today,
            "tools": metrology.due_within(days, today, request.user),
        },
    )
