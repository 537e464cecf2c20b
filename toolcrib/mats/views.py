"""The mat pages: the list, designing a template (propose slots from a photo, edit, save a
version), the PDFs, issue and return on a mat, and what was seen on a mat photo."""

import base64
import json

import cv2
import numpy as np
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from inference import mats
from toolcrib.crib import services as crib_services
from toolcrib.crib.models import Return
from toolcrib.crib.services import CribError
from toolcrib.front import access
from toolcrib.front.kit_form import engineer_choices
from toolcrib.mats import services
from toolcrib.mats.forms import (
    DesignForm,
    MatPhotoForm,
    MatReturnForm,
    SlotFormSet,
    slot_initial,
)
from toolcrib.mats.models import MatReading, MatTemplate
from toolcrib.mats.printing import mat_pdf, tiled_pdf


@access.needs(access.VIEW)
def mat_list(request):
    templates = list(MatTemplate.objects.prefetch_related("slots"))
    latest = {}
    for t in templates:
        latest.setdefault(t.name, t.version)
    for t in templates:
        t.is_latest = latest[t.name] == t.version
    return render(
        request,
        "mats/list.html",
        {"templates": templates, "papers": list(mats.PAPERS), "can_design": _can_design(request)},
    )


def _can_design(request):
    return request.user.has_perm(access.ENROL)


@access.needs(access.VIEW)
def mat_page(request, pk):
    template = get_object_or_404(MatTemplate, pk=pk)
    slots = template.slots.select_related("tool_type", "tool_instance")
    return render(
        request,
        "mats/mat.html",
        {"template": template, "slots": slots, "can_design": _can_design(request)},
    )


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@access.needs(access.VIEW)
def mat_print(request, pk, layout):
    template = get_object_or_404(MatTemplate, pk=pk)
    pure = template.as_template()
    slug = f"{template.name}-v{template.version}".replace(" ", "-")
    if layout == "sheet":
        return _pdf(mat_pdf(pure), f"{slug}-{template.paper}.pdf")
    return _pdf(tiled_pdf(pure), f"{slug}-{template.paper}-on-A4.pdf")


@access.needs(access.VIEW)
def blank_print(request, paper, layout):
    if paper not in mats.PAPERS:
        raise Http404
    pure = services.blank_template(paper)
    data = mat_pdf(pure) if layout == "sheet" else tiled_pdf(pure)
    return _pdf(data, f"blank-mat-{paper}{'' if layout == 'sheet' else '-on-A4'}.pdf")


@access.needs(access.ENROL)
def design(request, pk=None):
    """New template (or a new version of `pk`): a design photo proposes slots, the admin edits
    them in the table, then saves."""
    base = get_object_or_404(MatTemplate, pk=pk) if pk else None
    # A new version starts from the base's design photo: the slot editor draws the slots on it,
    # and each moved slot's reference is taken again where it now lies.
    initial = (
        {"name": base.name, "paper": base.paper, "photo": base.design_photo_id} if base else {}
    )
    form = DesignForm(request.POST or None, initial=initial)
    slot_forms = None
    note = ""
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action")
        if action == "propose":
            upload = request.FILES.get("design_photo")
            try:
                if upload is None:
                    raise CribError("Choose a design photo of the kit laid on the mat.")
                photo = crib_services.store_photo(upload.read(), user=request.user)
                specs, note = services.propose_slots(photo, form.cleaned_data["paper"])
            except CribError as e:
                form.add_error(None, str(e))
            else:
                form = DesignForm(
                    initial={**form.cleaned_data, "photo": photo.pk},
                )
                slot_forms = SlotFormSet(initial=slot_initial(specs), prefix="slots")
                if not specs:
                    note += " No tools were found: add the slots by hand."
        elif action == "save":
            slot_forms = SlotFormSet(request.POST, prefix="slots")
            if slot_forms.is_valid():
                specs = [
                    f.spec()
                    for f in slot_forms.forms
                    if f.has_changed() and not f.cleaned_data.get("DELETE") and f.cleaned_data
                ]
                try:
                    template = services.save_template(
                        name=form.cleaned_data["name"],
                        paper=form.cleaned_data["paper"],
                        slots=specs,
                        user=request.user,
                        design_photo=form.cleaned_data["photo"],
                    )
                except CribError as e:
                    form.add_error(None, str(e))
                else:
                    messages.success(request, f"Saved {template}: print it below.")
                    return redirect(template)
    if slot_forms is None:
        specs = [services.SlotSpec.of(s) for s in base.slots.all()] if base else []
        slot_forms = SlotFormSet(initial=slot_initial(specs), prefix="slots")
    photo = form["photo"].value() if form.is_bound or form.initial.get("photo") else None
    paper = form["paper"].value()
    return render(
        request,
        "mats/design.html",
        {
            "form": form,
            "slots": slot_forms,
            "base": base,
            "note": note,
            "preview": _preview(photo, paper) if photo else None,
            "paper_mm": mats.PAPERS.get(paper, mats.PAPERS["A3"]),
            "papers_json": json.dumps(
                {p: {"size": size, "free": mats.inner_area(p)} for p, size in mats.PAPERS.items()}
            ),
        },
    )


def _preview(photo_pk, paper) -> str | None:
    """The design photo in mat millimetres, with a 50 mm grid, as a data: URL."""
    from toolcrib.crib.models import Photo

    photo = Photo.objects.filter(pk=photo_pk).first()
    if photo is None or paper not in mats.PAPERS:
        return None
    try:
        view, _ = services._design_view(photo, paper)
    except CribError:
        return None
    image = view.rectified().copy()
    s = mats.PX_PER_MM
    h, w = image.shape[:2]
    for x in range(0, int(w / s), 50):
        cv2.line(image, (round(x * s), 0), (round(x * s), h), (120, 160, 220), 1)
        cv2.putText(image, str(x), (round(x * s) + 2, 12), 0, 0.35, (40, 80, 160), 1)
    for y in range(0, int(h / s), 50):
        cv2.line(image, (0, round(y * s)), (w, round(y * s)), (120, 160, 220), 1)
        cv2.putText(image, str(y), (2, round(y * s) - 2), 0, 0.35, (40, 80, 160), 1)
    ok, png = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR))
    return "data:image/png;base64," + base64.b64encode(png.tobytes()).decode()


def _on_mat(request, purpose):
    form_class = MatPhotoForm if purpose == "issue" else MatReturnForm
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        engineer = form.cleaned_data["engineer"]
        data = form.cleaned_data["photo"].read()
        key = form.cleaned_data["idempotency_key"]
        try:
            done = services.on_mat(
                purpose,
                engineer=engineer,
                user=request.user,
                data=data,
                idempotency_key=key,
                ends=form.cleaned_data.get("ends", Return.Ends.NOTHING),
            )
        except CribError as e:
            form.add_error(None, str(e))
        else:
            return redirect(done.mat_reading)
    return render(
        request,
        "mats/on_mat.html",
        {"form": form, "purpose": purpose, "engineers": engineer_choices()},
    )


@access.needs(access.ISSUE)
def issue_on_mat(request):
    return _on_mat(request, "issue")


@access.needs(access.RETURN)
def return_on_mat(request):
    return _on_mat(request, "return")


@access.needs(access.VIEW)
def reading_page(request, pk):
    reading = get_object_or_404(
        MatReading.objects.select_related("template", "issue__engineer", "tool_return__engineer"),
        pk=pk,
    )
    rows = services.slot_rows(reading)
    lines = []
    if reading.tool_return:
        lines = list(
            reading.tool_return.tools.select_related("issued_tool__tool_instance__tool_type")
        )
    counts = {
        state: sum(r["state"] == state for r in rows) for state in ("present", "empty", "wrong")
    }
    return render(
        request,
        "mats/reading.html",
        {"reading": reading, "rows": rows, "lines": lines, "counts": counts},
    )


@access.needs(access.VIEW)
def reading_picture(request, pk):
    reading = get_object_or_404(MatReading.objects.select_related("photo"), pk=pk)
    try:
        png = services.mat_picture(reading)
    except CribError:
        raise Http404 from None
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"
    return response
