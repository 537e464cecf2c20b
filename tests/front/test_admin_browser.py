"""The Django admin in a real browser, as a crib admin (staff, not superuser) sees it: no token
key, no superuser status, no way into a superuser's account."""

from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token


def test_a_crib_admin_in_the_admin_sees_no_key_and_no_way_up(page, live_server, crib_admin):
    root = User.objects.create_superuser("root", password="root-pass-123")
    key = Token.objects.create(user=root).key

    page.goto(live_server.url + "/admin/login/")
    page.fill("input[name=username]", "adam")
    page.fill("input[name=password]", "crib-pass-123")
    page.click("input[type=submit]")
    page.click("text=Tokens")
    assert page.locator("#result_list").inner_text().count("root") == 1
    assert key not in page.content()
    page.click("#result_list >> text=root")
    page.wait_for_url("**/change/")  # read the token's own page, not the list mid-navigation
    assert key not in page.content()

    page.goto(live_server.url + f"/admin/auth/user/{root.pk}/change/")
    assert "Superuser status" not in page.content()
    assert page.locator("input[name=_save]").count() == 0
    answer = page.goto(live_server.url + f"/admin/auth/user/{root.pk}/password/")
    assert answer.status == 403

    page.goto(live_server.url + "/admin/authtoken/tokenproxy/add/")
    options = page.locator("select[name=user] option").all_inner_texts()
    assert "adam" in options and "root" not in options
