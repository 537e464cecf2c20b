"""The admin's import pages: upload a table, see every row's problem, save all rows or none;
reference photos from a ZIP; templates to fill in."""

import csv
import io
import secrets

import openpyxl
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from openpyxl.comments import Comment

from toolcrib.crib.errors import CribError
from toolcrib.front import access
from toolcrib.transfer import imports, photo_zip
from toolcrib.transfer.tables import MAX_ROWS, TableError, read_table

# Good rows shown under the problems; the rest are counted.
SHOWN_GOOD_ROWS = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _kind(request, slug) -> imports.Kind:
    if slug not in imports.KINDS:
        raise Http404
    kind = imports.KINDS[slug]()
    if not request.user.has_perm(kind.perm):
        raise PermissionDenied
    return kind


@access.needs(*(k.perm for k in imports.KINDS.values()), any_of=True)
def import_page(request):
    kinds = [k() for k in imports.KINDS.values() if request.user.has_perm(k.perm)]
    return render(
        request,
        "transfer/import.html",
        {
            "kinds": kinds,
            "max_rows": MAX_ROWS,
            "max_photos": photo_zip.MAX_PHOTOS,
            "photos": request.user.has_perm(access.ENROL),
        },
    )


@require_POST
@access.needs(*(k.perm for k in imports.KINDS.values()), any_of=True)
def preview(request, slug):
    kind = _kind(request, slug)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a CSV or XLSX file to import.")
        return redirect("import")
    try:
        table = read_table(upload.read(), upload.name)
    except TableError as e:
        result = imports.Preview(kind, [], str(e))
    else:
        result = kind.preview(table)
    token = ""
    if result.ok:
        # The checked rows wait in the session for the admin's "Save": the file is not sent twice.
        token = secrets.token_urlsafe(12)
        request.session[f"import:{token}"] = {
            "kind": kind.slug,
            "file": upload.name,
            "rows": [(r.number, r.values) for r in result.rows],
        }
    # Under a wrong header the cells are not in the kind's columns: nothing to list.
    good = [] if result.file_problem else [r for r in result.rows if not r.problems]
    return render(
        request,
        "transfer/preview.html",
        {
            "kind": kind,
            "preview": result,
            "filename": upload.name,
            "token": token,
            "good_rows": good[:SHOWN_GOOD_ROWS],
            "more_good": max(0, len(good) - SHOWN_GOOD_ROWS),
        },
        status=200 if result.ok else 400,
    )


@require_POST
@access.needs(*(k.perm for k in imports.KINDS.values()), any_of=True)
def save(request, slug):
    kind = _kind(request, slug)
    pending = request.session.pop(f"import:{request.POST.get('token', '')}", None)
    if not pending or pending["kind"] != kind.slug:
        messages.error(
            request, "That preview has expired or was saved already: upload the file again."
        )
        return redirect("import")
    try:
        n = imports.save(
            kind,
            [(number, values) for number, values in pending["rows"]],
            user=request.user,
            filename=pending["file"],
        )
    except CribError as e:
        messages.error(request, str(e))
        return redirect("import")
    messages.success(request, f"Imported {n} {kind.title} from {pending['file']}.")
    return redirect(kind.list_url)


@access.needs(*(k.perm for k in imports.KINDS.values()), any_of=True)
def template(request, slug, fmt):
    kind = _kind(request, slug)
    header = [c.name for c in kind.columns]
    example = [c.example for c in kind.columns]
    name = f"toolcrib-{kind.slug}"
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows([header, example])
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = kind.title
        sheet.append(header)
        sheet.append(example)
        for i, column in enumerate(kind.columns, start=1):
            sheet.cell(1, i).comment = Comment(column.help, "Toolcrib")
        data = io.BytesIO()
        book.save(data)
        response = HttpResponse(data.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@require_POST
@access.needs(access.ENROL)
def photos(request):
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a ZIP of reference photos.")
        return redirect("import")
    check = photo_zip.check_zip(upload.read())
    if check.ok:
        try:
            n = photo_zip.enrol_all(check, user=request.user, filename=upload.name)
        except CribError as e:
            check.file_problem = f"{e} Nothing was saved."
        else:
            messages.success(request, f"Enrolled {n} reference photos from {upload.name}.")
            return redirect("tools")
    return render(
        request,
        "transfer/photos.html",
        {"check": check, "filename": upload.name},
        status=400,
    )
