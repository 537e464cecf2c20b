"""The import page in a real browser: a file with a problem, then the fixed file, saved."""

from toolcrib.crib.models import ToolInstance, ToolType


def test_an_admin_imports_tools_after_fixing_the_file(signed_in, crib_admin, tmp_path):
    wrench = ToolType.objects.get(model_class_index=4).name
    header = "inventory_number,tool_type,status,calibration_due,notes\n"
    bad = tmp_path / "tools.csv"
    bad.write_text(header + f"AT-1,{wrench},,,\nAT-1,{wrench},,,\nAT-3,Sonic screwdriver,,,\n")
    page = signed_in(crib_admin)
    page.click("nav >> text=Import")
    with page.expect_download() as download:
        page.click("#import-tools >> text=XLSX")
    assert download.value.suggested_filename == "toolcrib-tools.xlsx"

    page.set_input_files("#import-tools input[type=file]", str(bad))
    page.click("#import-tools button[type=submit]")
    page.wait_for_url("**/import/tools/")
    assert "2 of 3 rows have a problem" in page.locator("#summary").inner_text()
    assert page.locator("#problems tr[data-row='3'] .problem").inner_text() == (
        "inventory number AT-1 is also on row 2 of the file"
    )
    assert "unknown tool type" in page.locator("#problems tr[data-row='4']").inner_text()
    assert page.locator("#save").count() == 0 and not ToolInstance.objects.exists()

    good = tmp_path / "tools-fixed.csv"
    good.write_text(header + f"AT-1,{wrench},,,\nAT-2,{wrench},,2027-01-31,\nAT-3,{wrench},,,\n")
    page.click("text=Back to import")
    page.set_input_files("#import-tools input[type=file]", str(good))
    page.click("#import-tools button[type=submit]")
    page.wait_for_url("**/import/tools/")
    page.click("#save button")
    page.wait_for_url("**/tools/")
    assert (
        "Imported 3 tool instances from tools-fixed.csv."
        in page.locator(".msg-success").inner_text()
    )
    assert page.locator("#tools tbody tr").count() == 3
    assert str(ToolInstance.objects.get(inventory_number="AT-2").calibration_due) == "2027-01-31"
