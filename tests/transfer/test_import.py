"""Importing tool types, tools and engineers from CSV and XLSX: the preview names every bad row,
and nothing changes until a file without problems is saved, all rows at once."""

import io
import re
import time

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from toolcrib.crib.models import AuditEvent, Engineer, Site, ToolInstance, ToolType
from toolcrib.transfer.tables import MAX_ROWS

TOOLS_HEADER = "inventory_number,tool_type,status,calibration_due,notes\n"


def csv_file(text, name="tools.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_file(rows, name="tools.xlsx"):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    return SimpleUploadedFile(name, data.getvalue())


def crib_state():
    return (
        ToolInstance.objects.count(),
        Engineer.objects.count(),
        ToolType.objects.count(),
        AuditEvent.objects.count(),
    )


def preview(client, kind, upload):
    return client.post(reverse("import-preview", args=[kind]), {"file": upload})


def save(client, kind, response):
    token = re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)
    return client.post(reverse("import-save", args=[kind]), {"token": token}, follow=True)


def problems(response):
    """{row number: problem text} as the preview lists them."""
    page = response.content.decode()
    return {
        int(n): text
        for n, text in re.findall(
            r'<tr data-row="(\d+)">.*?<td class="problem">(.*?)</td>', page, re.S
        )
    }


def test_it_imports_tools_from_csv_after_a_preview_in_one_audited_save(admin_client, crib_admin):
    wrench = ToolType.objects.get(model_class_index=4)
    upload = csv_file(
        TOOLS_HEADER
        + f"AT-1,{wrench.name},,2027-06-30,drawer 3\n"
        + f"AT-2,{wrench.name.upper()},broken,,\n"
        + f"AT-3,{wrench.slug},in calibration,,\n"
    )
    before = crib_state()
    response = preview(admin_client, "tools", upload)
    assert response.status_code == 200
    assert "3 tool instances ready, no problems found." in response.content.decode()
    assert crib_state() == before  # a preview saves nothing

    response = save(admin_client, "tools", response)

    assert "Imported 3 tool instances from tools.csv." in response.content.decode()
    tools = {t.inventory_number: t for t in ToolInstance.objects.all()}
    assert str(tools["AT-1"].calibration_due) == "2027-06-30" and tools["AT-1"].notes == "drawer 3"
    assert tools["AT-2"].status == "broken" and tools["AT-3"].status == "in_calibration"
    assert {t.tool_type for t in tools.values()} == {wrench}
    created = AuditEvent.objects.filter(action="created", object_type="toolinstance")
    assert sorted(e.object_repr for e in created) == ["AT-1", "AT-2", "AT-3"]
    assert {e.actor for e in created} == {crib_admin}
    assert created.get(object_repr="AT-1").after["calibration_due"] == "2027-06-30"
    imported = AuditEvent.objects.get(action="imported")
    assert imported.after == {"kind": "tools", "file": "tools.csv", "rows": 3}


def test_it_imports_engineers_and_tool_types_from_xlsx(admin_client):
    response = preview(
        admin_client,
        "engineers",
        xlsx_file(
            [
                ["Badge number", "Name", "Supervisor email"],
                [1042, "Ada Byrne", "lead@example.org"],
                ["E7", "Bo Lind", None],
            ]
        ),
    )
    save(admin_client, "engineers", response)
    # A badge typed as a number in Excel comes as 1042, not 1042.0.
    assert set(Engineer.objects.values_list("badge_number", "name", "supervisor_email")) == {
        ("1042", "Ada Byrne", "lead@example.org"),
        ("E7", "Bo Lind", ""),
    }
    response = preview(
        admin_client,
        "tool-types",
        xlsx_file([["name", "description"], ["Rivet gun", "pneumatic"], ["Crimper", None]]),
    )
    save(admin_client, "tool-types", response)
    assert ToolType.objects.get(slug="rivet-gun").description == "pneumatic"
    assert ToolType.objects.filter(slug="crimper").exists()


def test_every_bad_row_is_named_and_nothing_is_saved(admin_client, tool_factory):
    tool_factory("AT-9")
    wrench = ToolType.objects.get(model_class_index=4).name
    upload = csv_file(
        TOOLS_HEADER
        + f"AT-1,{wrench},,,\n"  # row 2: fine
        + f"AT-1,{wrench},,,\n"  # row 3: same number as row 2
        + f"AT-9,{wrench},,,\n"  # row 4: already in the crib
        + "AT-4,Sonic screwdriver,,,\n"  # row 5: unknown type
        + f"AT-5,{wrench},issued,,\n"  # row 6: only the desk issues
        + f"AT-6,{wrench},shiny,31/02/2027,\n"  # row 7: unknown status, not a date
        + f",{wrench},,,\n"  # row 8: no number
    )
    before = crib_state()
    response = preview(admin_client, "tools", upload)

    assert response.status_code == 400
    found = problems(response)
    assert sorted(found) == [3, 4, 5, 6, 7, 8]
    assert "AT-1 is also on row 2 of the file" in found[3]
    assert "AT-9 is already in the crib" in found[4]
    assert "unknown tool type “Sonic screwdriver”" in found[5]
    assert "only an issue at the desk hands a tool out" in found[6]
    assert "unknown status “shiny”" in found[7] and "“31/02/2027” is not a date" in found[7]
    assert "inventory_number is empty" in found[8]
    assert "6 of 7 rows have a problem. Nothing was saved" in response.content.decode()
    assert 'name="token"' not in response.content.decode()  # no save button
    assert crib_state() == before


@pytest.mark.parametrize(
    "upload, message",
    [
        (
            csv_file("number,type\nAT-1,wrench\n"),
            "Row 1 (the header): missing columns "
            "inventory_number, tool_type; unknown columns number, type.",
        ),
        (csv_file(""), "The file is empty: nothing to import."),
        (csv_file("\n\n  \n"), "The file is empty: nothing to import."),
        (csv_file(TOOLS_HEADER), "The file has a header but no tool instances below it."),
        (
            csv_file(TOOLS_HEADER + "AT-1,Wrench,,,\nAT-2,Schlüssel,,,\n", encoding="latin-1"),
            "Row 3 is not UTF-8 text (byte 0xfc)",
        ),
        (SimpleUploadedFile("tools.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "is not a CSV or XLSX"),
        (SimpleUploadedFile("tools.xlsx", b"just some text"), "is not an XLSX workbook"),
        (SimpleUploadedFile("tools.xlsx", _zip := b"PK\x05\x06" + b"\0" * 18), "not an XLSX"),
        (csv_file(TOOLS_HEADER + "AT-1,Wrench,,,,surprise\n"), "Row 2 has a value ('surprise')"),
    ],
    ids=[
        "wrong-columns",
        "empty",
        "blank-lines",
        "header-only",
        "latin-1",
        "png",
        "text-as-xlsx",
        "empty-zip",
        "extra-cell",
    ],
)
def test_a_broken_file_changes_nothing_and_says_what_is_wrong(admin_client, upload, message):
    before = crib_state()
    response = preview(admin_client, "tools", upload)
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert crib_state() == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_50000_row_file_is_refused_quickly_with_the_limit(admin_client, fmt):
    wrench = ToolType.objects.get(model_class_index=4).name
    rows = [[f"AT-{i}", wrench, "", "", ""] for i in range(50_000)]
    header = TOOLS_HEADER.strip().split(",")
    if fmt == "csv":
        upload = csv_file(TOOLS_HEADER + "\n".join(",".join(r) for r in rows))
    else:
        upload = xlsx_file([header, *rows])
    before = crib_state()
    started = time.perf_counter()
    response = preview(admin_client, "tools", upload)
    elapsed = time.perf_counter() - started

    assert response.status_code == 400
    assert f"The file has more than {MAX_ROWS:,} rows (row 5,002 is the 5,001th)" in (
        response.content.decode()
    )
    assert crib_state() == before
    print(f"50,000-row {fmt} refused in {elapsed:.2f} s")
    assert elapsed < 10, elapsed  # reading stops at the limit


def test_a_file_at_the_limit_is_saved_in_bounded_time(admin_client):
    wrench = ToolType.objects.get(model_class_index=4).name
    upload = csv_file(TOOLS_HEADER + "".join(f"AT-{i},{wrench},,,\n" for i in range(MAX_ROWS)))
    started = time.perf_counter()
    response = preview(admin_client, "tools", upload)
    assert response.status_code == 200
    response = save(admin_client, "tools", response)
    elapsed = time.perf_counter() - started
    assert f"Imported {MAX_ROWS} tool instances" in response.content.decode()
    assert ToolInstance.objects.count() == MAX_ROWS
    assert (
        AuditEvent.objects.filter(action="created", object_type="toolinstance").count() == MAX_ROWS
    )
    print(f"preview + save of {MAX_ROWS} rows: {elapsed:.1f} s")
    assert elapsed < 60, elapsed


def test_a_row_added_meanwhile_makes_the_save_change_nothing(admin_client, tool_factory):
    wrench = ToolType.objects.get(model_class_index=4).name
    response = preview(
        admin_client, "tools", csv_file(TOOLS_HEADER + f"AT-1,{wrench},,,\nAT-2,{wrench},,,\n")
    )
    tool_factory("AT-2")  # someone adds AT-2 by hand before the save
    before = crib_state()
    response = save(admin_client, "tools", response)
    page = response.content.decode()
    assert (
        "The crib changed since the preview (row 3: inventory number AT-2 is already in the crib)"
        in page
    )
    assert crib_state() == before


def test_a_preview_is_saved_once(admin_client):
    response = preview(admin_client, "engineers", csv_file("badge_number,name\nE1,Ada\n"))
    save(admin_client, "engineers", response)
    again = save(admin_client, "engineers", response)
    assert "That preview has expired or was saved already" in again.content.decode()
    assert Engineer.objects.count() == 1


def test_duplicate_badges_and_type_names_are_caught(admin_client, engineer):
    response = preview(
        admin_client,
        "engineers",
        # Semicolons, as spreadsheets in many locales save CSV.
        csv_file(
            f"badge_number;name;supervisor_email\n{engineer.badge_number};Someone;\nE2;A;\nE2;B;x@\n"
        ),
    )
    found = problems(response)
    assert "badge number E1001 is already in the crib" in found[2]
    assert "supervisor_email “x@” is not an address" in found[4]
    assert "badge number E2 is also on row 3 of the file" in found[4]
    wrench = ToolType.objects.get(model_class_index=4)
    response = preview(
        admin_client, "tool-types", csv_file(f"name\n{wrench.name.lower()}\nRivet gun\nrivet-GUN\n")
    )
    found = problems(response)
    assert sorted(found) == [2, 4]


@pytest.mark.parametrize("kind", ["tools", "engineers", "tool-types"])
def test_the_templates_import_as_they_are(admin_client, kind):
    for fmt in ("csv", "xlsx"):
        got = admin_client.get(reverse(f"import-{fmt}", args=[kind]))
        assert got.status_code == 200
        assert got["Content-Disposition"] == f'attachment; filename="toolcrib-{kind}.{fmt}"'
        if kind == "tools":  # its example row's type and site must exist
            ToolType.objects.get_or_create(name="Torque wrench 1/4 in", slug="torque-wrench-1-4-in")
            Site.objects.get_or_create(code="RIX", name="Riga")
        upload = SimpleUploadedFile(f"t.{fmt}", got.content)
        response = preview(admin_client, kind, upload)
        assert response.status_code == 200, problems(response) or response.content.decode()


def test_only_those_who_may_add_import(client, storekeeper, qa):
    for user in (storekeeper, qa):
        client.force_login(user)
        assert client.get(reverse("import")).status_code == 403
        assert preview(client, "tools", csv_file(TOOLS_HEADER)).status_code == 403


def test_it_imports_each_tool_s_home_and_refuses_an_unknown_site(admin_client):
    Site.objects.create(code="RIX", name="Riga line maintenance")
    wrench = ToolType.objects.get(model_class_index=4)
    header = "inventory_number,tool_type,site,crib,cabinet,drawer,bin\n"
    before = crib_state()
    response = preview(
        admin_client,
        "tools",
        csv_file(header + f"AT-1,{wrench.name},rix,Main,C2,3,\nAT-2,{wrench.name},VNO,,,,\n"),
    )
    assert problems(response) == {3: "unknown site “VNO” (add it under Sites first)"}
    assert crib_state() == before

    response = preview(
        admin_client, "tools", csv_file(header + f"AT-1,{wrench.name},rix,Main,C2,3,\n")
    )
    save(admin_client, "tools", response)

    tool = ToolInstance.objects.get(inventory_number="AT-1")
    assert (tool.site.code, tool.crib, tool.cabinet, tool.drawer, tool.bin) == (
        "RIX",
        "Main",
        "C2",
        "3",
        "",
    )
