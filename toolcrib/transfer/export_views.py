"""The export page: the crib's records as CSV or XLSX for a date range, and printable PDFs."""

import datetime

from django import forms
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from toolcrib.crib import sites
from toolcrib.crib.models import Return
from toolcrib.front import access
from toolcrib.transfer import exports, printing
from toolcrib.transfer.views import XLSX


class Dates(forms.Form):
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise forms.ValidationError("“To” is before “From”.")
        return data

    def bounds(self):
        """From the start of `since` to the end of `until`, days in the crib's time zone."""
        zone = timezone.get_current_timezone()
        since, until = self.cleaned_data["since"], self.cleaned_data["until"]
        start = datetime.datetime.combine(since, datetime.time.min, zone) if since else None
        end = (
            datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min, zone)
            if until
            else None
        )
        return start, end

    def suffix(self) -> str:
        since, until = self.cleaned_data["since"], self.cleaned_data["until"]
        return "".join(f"-{p}{d:%Y%m%d}" for p, d in (("from", since), ("to", until)) if d)


@access.needs(access.VIEW)
def export_page(request):
    form = Dates(request.GET or None, label_suffix="")
    return render(
        request,
        "transfer/export.html",
        {"form": form, "exports": exports.EXPORTS.values(), "query": request.GET.urlencode()},
    )


@access.needs(access.VIEW)
def export_file(request, slug, fmt):
    export = exports.EXPORTS.get(slug)
    if export is None:
        raise Http404
    form = Dates(request.GET, label_suffix="")
    if not form.is_valid():
        return render(
            request,
            "transfer/export.html",
            {"form": form, "exports": exports.EXPORTS.values(), "query": ""},
            status=400,
        )
    since, until = form.bounds()
    name = f"toolcrib-{slug}{form.suffix()}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            exports.write_csv(export, since, until, request.user),
            content_type="text/csv; charset=utf-8",
        )
    else:
        response = HttpResponse(
            exports.write_xlsx(export, since, until, request.user), content_type=XLSX
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _pdf(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@access.needs(access.VIEW)
def tools_out_pdf(request):
    return _pdf(
        printing.tools_out_pdf(request.user), f"tools-out-{timezone.localdate():%Y%m%d}.pdf"
    )


@access.needs(access.VIEW)
def return_pdf(request, pk):
    tool_return = get_object_or_404(
        sites.visible(Return.objects.select_related("engineer", "desk_user"), request.user), pk=pk
    )
    return _pdf(printing.return_pdf(tool_return, request.user), f"return-{tool_return.pk}.pdf")
