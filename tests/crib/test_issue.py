"""Issuing tools: what the storekeeper may and may not do, and that a refusal changes nothing."""

from datetime import date, timedelta

import pytest

from toolcrib.crib import services
from toolcrib.crib.models import AuditEvent, Issue, Photo, ToolInstance
from toolcrib.crib.services import CribError, ToolLine, ToolUnavailable

pytestmark = pytest.mark.django_db


def issue(engineer, storekeeper, *tools, **kw):
    return services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[ToolLine(t) for t in tools], **kw
    )


def test_it_issues_tools_and_the_engineer_holds_them(tool_factory, storekeeper, engineer):
    a, b = tool_factory("AT-1"), tool_factory("AT-2", class_index=7)
    result = issue(engineer, storekeeper, a, b)

    assert sorted(t.tool_instance.inventory_number for t in engineer.held_tools()) == [
        "AT-1",
        "AT-2",
    ]
    assert all(t.due_back > result.created_at for t in result.tools.all())
    a.refresh_from_db()
    assert (
        a.status == ToolInstance.Status.ISSUED and a.open_issued_tool().issue.engineer == engineer
    )


def test_it_refuses_a_tool_issued_twice_and_issues_nothing(
    tool_factory, storekeeper, engineer, make_user
):
    from toolcrib.crib.models import Engineer

    held = tool_factory("AT-1")
    other = Engineer.objects.create(badge_number="E2", name="Boris")
    issue(other, storekeeper, held)
    free = tool_factory("AT-2")

    with pytest.raises(ToolUnavailable, match=r"AT-1 is already issued to Boris \(E2\)"):
        issue(engineer, storekeeper, free, held)

    free.refresh_from_db()
    assert free.status == ToolInstance.Status.IN_CRIB
    assert Issue.objects.filter(engineer=engineer).count() == 0


@pytest.mark.parametrize("status", ["lost", "broken", "in_calibration", "retired"])
def test_it_refuses_a_tool_that_is_not_in_the_crib(tool_factory, storekeeper, engineer, status):
    tool = tool_factory("AT-1", status=status)
    with pytest.raises(ToolUnavailable, match="cannot be issued"):
        issue(engineer, storekeeper, tool)
    assert not Issue.objects.exists()


def test_it_refuses_a_tool_past_its_calibration_date(tool_factory, storekeeper, engineer):
    tool = tool_factory("AT-1", calibration_due=date.today() - timedelta(days=1))
    with pytest.raises(ToolUnavailable, match="past its calibration date"):
        issue(engineer, storekeeper, tool)


def test_it_refuses_the_same_tool_twice_in_one_issue(tool_factory, storekeeper, engineer):
    tool = tool_factory("AT-1")
    with pytest.raises(CribError, match="AT-1 appears more than once"):
        issue(engineer, storekeeper, tool, tool)


def test_it_refuses_an_inactive_engineer(tool_factory, storekeeper, engineer):
    engineer.active = False
    engineer.save()
    with pytest.raises(CribError, match="not active"):
        issue(engineer, storekeeper, tool_factory("AT-1"))


def test_it_issues_once_for_a_retried_request(tool_factory, storekeeper, engineer):
    tool = tool_factory("AT-1")
    first = issue(engineer, storekeeper, tool, idempotency_key="desk1-0001")
    again = issue(engineer, storekeeper, tool, idempotency_key="desk1-0001")

    assert again.pk == first.pk
    assert Issue.objects.count() == 1
    assert AuditEvent.objects.filter(action="issued").count() == 1


def test_it_refuses_a_box_outside_the_photo(tool_factory, storekeeper, engineer, jpeg):
    photo = services.store_photo(jpeg(640, 480))
    line = ToolLine(tool_factory("AT-1"), photo=photo, box=(600, 10, 700, 100))
    with pytest.raises(CribError, match=r"outside the photo \(640x480\)"):
        services.issue_tools(engineer=engineer, storekeeper=storekeeper, lines=[line])
    with pytest.raises(CribError, match="empty or inverted"):
        services.issue_tools(
            engineer=engineer,
            storekeeper=storekeeper,
            lines=[ToolLine(line.tool_instance, photo, (50, 50, 40, 90))],
        )
    assert not Issue.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"this is a text file, not a photo", "not an image"),
        ("truncated", "damaged or truncated"),
        ("gif", "GIF files are not accepted"),
    ],
)
def test_it_keeps_no_broken_upload(jpeg, data, message):
    if data == "truncated":
        data = jpeg(800, 600)[:3000]
    elif data == "gif":
        import io

        from PIL import Image

        buf = io.BytesIO()
        Image.new("RGB", (10, 10)).save(buf, "GIF")
        data = buf.getvalue()
    with pytest.raises(CribError, match=message):
        services.store_photo(data)
    assert not Photo.objects.exists()


def test_it_takes_the_photo_frame_after_exif_rotation(jpeg):
    photo = services.store_photo(jpeg(640, 480, orientation=6))
    assert (photo.width, photo.height) == (480, 640)
