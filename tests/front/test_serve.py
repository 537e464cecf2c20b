"""The README's first command: a fresh start serves the login page, and the admin it makes
can log in and see the kit's 11 tool types."""

import re


def test_it_starts_fresh_with_an_admin_who_sees_the_kit(serve, page):
    served = serve()
    url, output = served.url, served.output
    password = re.search(r"log in as\s+admin\s+with password\s+(\S+)", output).group(1)

    page.goto(url)
    assert page.locator("h1").inner_text() == "Log in"
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.click("text=Tool types")

    rows = page.locator("#tool-types tbody tr")
    assert rows.count() == 11
    assert "Lockwire pliers" in page.locator("#tool-types").inner_text()


def test_it_prints_no_new_password_on_the_next_start(serve):
    first = serve().output
    assert "with password" in first
    second = serve().output
    assert "with password" not in second
    assert "log in with your account" in second


def test_it_says_what_is_wrong_with_a_broken_model_and_serves_anyway(serve, tmp_path):
    broken = tmp_path / "clf.onnx"
    broken.write_bytes(b"not an onnx file")
    served = serve(TOOLCRIB_MODEL=str(broken))
    url, output = served.url, served.output

    assert f"Visual recognition is disabled: {broken} is not a loadable ONNX model" in output
    import urllib.request

    with urllib.request.urlopen(f"{url}/accounts/login/") as response:
        assert response.status == 200
