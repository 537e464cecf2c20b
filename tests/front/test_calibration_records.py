"""Calibration records in a real browser: an admin records one with its certificate on the
tool's page, the certificate opens, and the due list shows what falls due."""

from datetime import date, timedelta

from toolcrib.crib.models import CalibrationRecord

TODAY = date.today()
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_an_admin_records_a_calibration_with_its_certificate(
    signed_in, crib_admin, tool_factory, tmp_path, live_server
):
    tool_factory("TW-7", calibration_due=TODAY - timedelta(days=3))
    scan = tmp_path / "certificate.pdf"
    scan.write_bytes(PDF)
    page = signed_in(crib_admin)
    page.click("nav >> text=Tools")
    page.click("#calibration-due-link")
    assert "TW-7" in page.locator("#calibration-due").inner_text()
    assert "overdue" in page.locator("#calibration-due tr", has_text="TW-7").inner_text()
    page.click("#calibration-due >> text=TW-7")
    assert "overdue: not issued" in page.locator(".facts").inner_text()

    form = page.locator("#calibration-form")
    form.locator("input[name=calibrated_on]").fill(str(TODAY))
    form.locator("input[name=due_date]").fill(str(TODAY - timedelta(days=1)))
    form.locator("input[name=certificate_number]").fill("C-2026-114")
    form.locator("input[name=calibrated_by]").fill("Metrology lab A")
    form.locator("input[name=certificate]").set_input_files(str(scan))
    form.locator("button[type=submit]").click()
    assert "must come after the calibration date" in page.locator(".msg-error").inner_text()
    assert not CalibrationRecord.objects.exists()

    form.locator("input[name=calibrated_on]").fill(str(TODAY))
    form.locator("input[name=due_date]").fill(str(TODAY + timedelta(days=180)))
    form.locator("input[name=certificate_number]").fill("C-2026-114")
    form.locator("input[name=calibrated_by]").fill("Metrology lab A")
    form.locator("input[name=certificate]").set_input_files(str(scan))
    form.locator("button[type=submit]").click()
    assert (
        "Calibration of TW-7 recorded (certificate C-2026-114)"
        in page.locator(".msg-success").inner_text()
    )
    assert page.locator("#calibration-due").inner_text() == (TODAY + timedelta(days=180)).strftime(
        "%d %b %Y"
    )
    assert "overdue" not in page.locator(".facts").inner_text()
    row = page.locator("#calibrations tbody tr").first
    assert "Metrology lab A" in row.inner_text() and "adam" in row.inner_text()

    href = row.locator("a", has_text="C-2026-114").get_attribute("href")
    got = page.request.get(live_server.url + href)
    assert got.status == 200 and got.headers["content-type"] == "application/pdf"
    assert got.body() == PDF

    page.click("nav >> text=Tools")
    page.click("#calibration-due-link")
    assert "TW-7" not in page.locator("#calibration-due").inner_text()
    page.fill("#due-form input[name=days]", "200")
    page.click("#due-form button")
    assert "TW-7" in page.locator("#calibration-due").inner_text()


def test_qa_sees_the_due_list_but_cannot_record(signed_in, qa, tool_factory, live_server):
    tool = tool_factory("TW-7", calibration_due=TODAY + timedelta(days=10))
    page = signed_in(qa)
    page.goto(live_server.url + "/calibration/?days=abc")
    assert page.locator("#due-form .fail").count() == 1
    assert "TW-7" in page.locator("#calibration-due").inner_text()  # the default 30 days
    page.goto(live_server.url + f"/tools/{tool.pk}/")
    assert page.locator("#calibration-form").count() == 0
