"""Reference photos from a ZIP named by inventory number: all enrolled through the enrolment
service, or none; unsafe archives refused."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from toolcrib.crib.models import AuditEvent, Enrolment, Photo
from toolcrib.transfer.photo_zip import candidates


def zip_of(entries, compression=zipfile.ZIP_STORED):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", compression) as z:
        for name, content in entries.items():
            z.writestr(name, content)
    return SimpleUploadedFile("photos.zip", data.getvalue(), "application/zip")


def tool_crop():
    """A real kit tool, cropped to its box: a reference photo filling the frame."""
    from tests.kit_photos import single_photo

    data, box = single_photo("5_safety_pliers__black")
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).crop(box).save(out, "JPEG")
    return out.getvalue()


def stored_files(settings):
    return sorted(
        p for p in __import__("pathlib").Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()
    )


def test_the_number_is_taken_from_the_file_name():
    assert candidates("AT-288293-6") == ["AT-288293-6"]
    assert candidates("AT-288293-6_2") == ["AT-288293-6_2", "AT-288293-6"]
    assert candidates("AT-288293-6 (2)") == ["AT-288293-6 (2)", "AT-288293-6"]


def test_it_enrols_every_photo_with_its_tool(admin_client, crib_admin, tool_factory, model_path):
    pliers = tool_factory("AT-288293-6", 5)
    other = tool_factory("AT-7", 5)
    crop = tool_crop()
    upload = zip_of(
        {
            "kit/AT-288293-6.jpg": crop,
            "kit/AT-288293-6_2.jpg": crop,
            "AT-7 (1).JPG": crop,
            "__MACOSX/._AT-7.jpg": b"junk",
            ".DS_Store": b"junk",
        }
    )
    response = admin_client.post(reverse("import-photos"), {"file": upload}, follow=True)

    assert "Enrolled 3 reference photos from photos.zip." in response.content.decode()
    assert pliers.enrolments.count() == 2 and other.enrolments.count() == 1
    for e in Enrolment.objects.all():
        assert e.embedding is not None and e.model_sha256 and e.enrolled_by == crib_admin
        assert e.box == (0, 0, e.photo.width, e.photo.height)
    assert AuditEvent.objects.filter(action="created", object_type="enrolment").count() == 3
    assert AuditEvent.objects.get(action="imported").after["kind"] == "photos"


@pytest.mark.parametrize(
    "entries, message",
    [
        ({"AT-1.jpg": "photo", "AT-404.jpg": "photo"}, "no tool instance numbered “AT-404”"),
        ({"AT-1.jpg": "photo", "AT-1.txt": b"hello"}, "not a photo (JPEG, PNG or WEBP)"),
        ({"AT-1.jpg": "photo", "AT-1_2.jpg": b"\xff\xd8 not really"}, "AT-1_2.jpg"),
        ({"AT-1.jpg": "photo", "../AT-1.jpg": "photo"}, "the entry “../AT-1.jpg” points outside"),
        ({"/etc/AT-1.jpg": "photo"}, "points outside the ZIP"),
        ({"AT-1.jpg": "photo", "AT-1_2.jpg": b"\0" * 30_000_000}, "ZIP bomb"),
        ({"readme/": b""}, "The ZIP holds no photos."),
    ],
    ids=["unknown-number", "not-a-photo", "broken-jpeg", "traversal", "absolute", "bomb", "empty"],
)
def test_a_bad_zip_enrols_nothing_and_names_the_file(
    admin_client, tool_factory, jpeg, settings, entries, message
):
    tool_factory("AT-1")
    photo = jpeg(300, 200)
    entries = {k: photo if v == "photo" else v for k, v in entries.items()}
    files_before = stored_files(settings)
    response = admin_client.post(
        reverse("import-photos"), {"file": zip_of(entries, zipfile.ZIP_DEFLATED)}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Enrolment.objects.exists() and not Photo.objects.exists()
    assert stored_files(settings) == files_before


def test_a_file_that_is_not_a_zip_is_refused(admin_client, tool_factory):
    tool_factory("AT-1")
    upload = SimpleUploadedFile("photos.zip", b"not a zip at all")
    response = admin_client.post(reverse("import-photos"), {"file": upload})
    assert response.status_code == 400
    assert "The file is not a ZIP archive." in response.content.decode()


def test_a_photo_failing_at_enrolment_leaves_no_file(
    admin_client, tool_factory, jpeg, settings, monkeypatch
):
    """The last photo's enrolment fails after the others were stored: no row, no file."""
    from toolcrib.crib import services
    from toolcrib.crib.errors import CribError

    tool_factory("AT-1")
    tool_factory("AT-2")
    real = services.enrol

    def enrol(tool, photo, box, **kw):
        if tool.inventory_number == "AT-2":
            raise CribError("The model failed on this photo.")
        return real(tool, photo, box, **kw)

    monkeypatch.setattr(services, "enrol", enrol)
    files_before = stored_files(settings)
    response = admin_client.post(
        reverse("import-photos"),
        {"file": zip_of({"AT-1.jpg": jpeg(300, 200), "AT-2.jpg": jpeg(300, 200)})},
    )
    assert "The model failed on this photo. Nothing was saved." in response.content.decode()
    assert not Enrolment.objects.exists() and not Photo.objects.exists()
    assert stored_files(settings) == files_before
