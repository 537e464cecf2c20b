"""Enrolment without traps, in a real browser on the real model: only the chosen box is
enrolled, a box read as another type is flagged before and after saving, and a reference
photo can be removed (audited)."""

from tests.front.conftest import row_of, upload_photo
from toolcrib.crib.models import AuditEvent, Enrolment

PLIERS, WRENCH = "5_safety_pliers", "10_open_end_wrench_3_4"


def centre(box):
    return ((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)


def test_only_the_chosen_box_is_enrolled(signed_in, crib_admin, tool_factory, kit_photo):
    tool = tool_factory("AT-288293-6", class_index=4)  # lockwire pliers
    photo, (pliers_box, wrench_box) = kit_photo(
        [(f"{PLIERS}__black", (100, 100), 0), (f"{WRENCH}__black", (900, 500), 0)]
    )
    page = signed_in(crib_admin)
    page.goto(page.url + f"tools/{tool.pk}/")
    upload_photo(page, photo)
    rows = page.locator(".tool-row")
    assert rows.count() == 2
    wrench_row = rows.nth(row_of(page, centre(wrench_box)))
    assert "Recognised as Open-end wrench 3/4, not Lockwire pliers" in wrench_row.inner_text()

    page.click("text=Enrol the boxed tool")  # two boxes, none chosen: refused on the page
    assert (
        "The photo has 2 boxes: select the one around this tool"
        in page.locator(".photo-error").inner_text()
    )
    assert not Enrolment.objects.exists()

    rows.nth(row_of(page, centre(pliers_box))).locator(".what").click()
    page.click("text=Enrol the boxed tool")
    assert "Enrolled 1 reference photo of AT-288293-6." in page.locator(".msg-success").inner_text()
    assert page.locator(".msg-warning").count() == 0
    [enrolment] = Enrolment.objects.all()
    x0, y0, x1, y1 = enrolment.box
    assert x0 <= centre(pliers_box)[0] <= x1 and y0 <= centre(pliers_box)[1] <= y1


def test_a_box_read_as_another_type_is_flagged_and_its_photo_removed(
    signed_in, crib_admin, tool_factory, kit_photo
):
    tool = tool_factory("AT-288293-6", class_index=4)
    photo, _ = kit_photo([(f"{WRENCH}__black", (300, 200), 0)])  # the wrong tool
    page = signed_in(crib_admin)
    page.goto(page.url + f"tools/{tool.pk}/")
    upload_photo(page, photo)
    page.click("text=Enrol the boxed tool")
    assert (
        "The model reads this box as Open-end wrench 3/4, not Lockwire pliers"
        in page.locator(".msg-warning").inner_text()
    )
    assert page.locator("#enrolments img").count() == 1

    page.click("#enrolments button[aria-label='Remove reference photo 1']")
    assert "Removed a reference photo of AT-288293-6." in page.locator(".msg-success").inner_text()
    assert page.locator("#enrolments img").count() == 0
    assert not Enrolment.objects.exists()
    removed = AuditEvent.objects.get(object_type="enrolment", action="deleted")
    assert removed.actor == crib_admin and removed.before["tool_instance_id"] == tool.pk


def test_the_server_refuses_several_boxes_and_a_storekeeper_cannot_remove(
    client, crib_admin, storekeeper, tool_factory, jpeg
):
    from toolcrib.crib import services

    tool = tool_factory("AT-1")
    photo = services.store_photo(jpeg(400, 300), user=crib_admin)
    client.force_login(crib_admin)
    lines = '[{"box": [0, 0, 100, 100]}, {"box": [150, 150, 300, 250]}]'
    response = client.post(
        f"/tools/{tool.pk}/enrol/", {"photo": photo.pk, "lines": lines}, follow=True
    )
    assert "The photo has 2 boxes" in response.content.decode()
    assert not Enrolment.objects.exists()

    enrolment = services.enrol(tool, photo, (0, 0, 100, 100), user=crib_admin)
    client.force_login(storekeeper)
    assert client.post(f"/enrolments/{enrolment.pk}/remove/").status_code == 403
    assert Enrolment.objects.filter(pk=enrolment.pk).exists()


def test_several_photos_of_one_tool_are_enrolled_in_one_go(
    signed_in, crib_admin, tool_factory, kit_photo
):
    tool = tool_factory("AT-288293-6", class_index=4)
    first, _ = kit_photo([(f"{PLIERS}__black", (100, 100), 0)])
    second, _ = kit_photo([(f"{PLIERS}__wood", (500, 300), 1)])
    wrong, _ = kit_photo([(f"{WRENCH}__black", (300, 200), 0)])
    page = signed_in(crib_admin)
    page.goto(page.url + f"tools/{tool.pk}/")
    page.wait_for_selector("#enrol-many[data-ready='1']", state="attached")
    page.set_input_files("#enrol-many input[type=file]", [str(first), str(second), str(wrong)])
    page.wait_for_function("document.querySelectorAll('#enrol-many .many-row').length === 3")
    page.wait_for_selector("#enrol-many[data-ready='1']", state="attached")

    rows = page.locator("#enrol-many .many-row")
    assert page.locator("#enrol-many .many-box").count() == 3  # each shows its box
    flagged = page.locator("#enrol-many .many-row.other-type")
    assert flagged.count() == 1 and wrong.name in flagged.inner_text()
    assert "not Lockwire pliers" in flagged.inner_text()
    assert not flagged.locator("input[type=checkbox]").is_checked()  # left out unless ticked
    assert rows.locator("input[type=checkbox]:checked").count() == 2

    page.click("text=Enrol 2 chosen photos")
    assert (
        "Enrolled 2 reference photos of AT-288293-6." in page.locator(".msg-success").inner_text()
    )
    assert page.locator("#enrolments img").count() == 2
    assert Enrolment.objects.filter(tool_instance=tool).count() == 2


def test_a_bad_list_of_photos_enrols_none(client, crib_admin, tool_factory, jpeg):
    from toolcrib.crib import services

    tool = tool_factory("AT-1")
    photo = services.store_photo(jpeg(400, 300), user=crib_admin)
    client.force_login(crib_admin)
    for items, message in [
        ("[]", "Choose at least one photo"),
        ('[{"photo": 999999, "box": [0, 0, 10, 10]}]', "no longer stored"),
        (
            f'[{{"photo": {photo.pk}, "box": [0, 0, 100, 100]}}, '
            f'{{"photo": {photo.pk}, "box": [0, 0, 900, 100]}}]',
            "Nothing was enrolled",
        ),
    ]:
        response = client.post(f"/tools/{tool.pk}/enrol-many/", {"items": items}, follow=True)
        assert message in response.content.decode(), items
    assert not Enrolment.objects.exists()
