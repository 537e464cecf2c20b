"""Fixtures for the API tests: clients signed in by token, and a small crib with something in
every table, so that each endpoint has a record to read or to try to change."""

from types import SimpleNamespace

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from toolcrib.crib import extras, services
from toolcrib.crib.models import (
    AuditEvent,
    CribSettings,
    Engineer,
    Enrolment,
    ForeignToolReport,
    Issue,
    IssuedTool,
    Photo,
    Return,
    ReturnedTool,
    ToolInstance,
    ToolType,
)


@pytest.fixture
def api(db):
    """api(user) -> a client that sends `user`'s API token; api() -> an anonymous client."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def role_users(storekeeper, desk, crib_admin, qa, make_user):
    """One user per role, and one signed-in user with no role at all."""
    return {
        "storekeeper": storekeeper,
        "return desk": desk,
        "admin": crib_admin,
        "QA": qa,
        "nobody": make_user("nemo"),
    }


@pytest.fixture
def crib(tool_factory, engineer, storekeeper, desk, jpeg, make_user):
    """A tool in the crib; two held by the engineer, one of them waiting for a recount; a spare
    tool type, an idle engineer, a photo with an enrolment, the crib settings, and two users for
    tokens (one has one)."""
    CribSettings.current()
    free = tool_factory("AT-1")
    held = tool_factory("AT-2", class_index=7)
    services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[services.ToolLine(held)]
    )
    recount_line = services.return_tools(
        engineer=engineer, desk_user=desk, sightings=[], ends="shift"
    ).tools.get()
    services.issue_tools(
        engineer=engineer,
        storekeeper=storekeeper,
        lines=[services.ToolLine(tool_factory("AT-3", 9))],
    )
    make_user("camera-1")
    Token.objects.create(user=make_user("camera-2"))
    photo = services.store_photo(jpeg(640, 480))
    enrolment = Enrolment(tool_instance=free, photo=photo)
    enrolment.box = (10, 10, 200, 100)
    enrolment.save()
    # Two tools they were not issued in a return photo: one waits for the desk's action, the
    # other was reported to QA as foreign.
    extra_return = Return.objects.create(engineer=engineer, desk_user=desk, threshold=90)
    extra, foreign = (
        ReturnedTool.objects.create(
            tool_return=extra_return, decision=ReturnedTool.Decision.EXTRA, reason="not issued"
        )
        for _ in range(2)
    )
    foreign_report = extras.report_foreign(foreign, user=desk, note="airline's wrench")
    spare_type = ToolType.objects.create(name="Torque wrench", slug="torque-wrench")
    idle = Engineer.objects.create(badge_number="E2002", name="Olga Sidorova")
    return SimpleNamespace(
        free=free,
        held=held,
        recount_line=recount_line,
        extra=extra,
        foreign_report=foreign_report,
        photo=photo,
        enrolment=enrolment,
        spare_type=spare_type,
        engineer=engineer,
        idle_engineer=idle,
    )


CRIB_MODELS = [
    ToolType,
    ToolInstance,
    Engineer,
    Photo,
    Enrolment,
    Issue,
    IssuedTool,
    Return,
    ReturnedTool,
    ForeignToolReport,
    AuditEvent,
    Token,
]


def crib_state() -> dict:
    """Everything a refused request must leave as it was."""
    state = {
        m.__name__: list(m.objects.order_by("pk").values_list("pk", flat=True)) for m in CRIB_MODELS
    }
    state["tools"] = list(
        ToolInstance.objects.order_by("pk").values_list("inventory_number", "status", "notes")
    )
    state["engineers"] = list(Engineer.objects.order_by("pk").values_list("name", "active"))
    state["tool types"] = list(ToolType.objects.order_by("pk").values_list("name", "slug"))
    state["decisions"] = list(ReturnedTool.objects.order_by("pk").values_list("decision", "reason"))
    state["threshold"] = CribSettings.current().recount_threshold
    return state
