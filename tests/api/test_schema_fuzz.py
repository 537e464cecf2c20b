"""Schemathesis throws generated requests, valid and not, at every operation of the live schema:
no answer may be a server error, and every answer must be one the schema describes."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from toolcrib.wsgi import application

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
# Bounded and repeatable: a few examples per operation, the same ones on every run.
FUZZ = settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


# Read once at collection; no database is needed to describe the API.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def shared_connection(crib):
    """Requests go straight to the WSGI app: as Django's test client does, keep them on the test's
    connection and transaction, which the end of a request would otherwise close."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def no_wait_for_markings(settings):
    """No marking reader runs here: `markings: wait` answers at once with what is read."""
    settings.TOOLCRIB_MARKING_WAIT_SECONDS = 0


def token(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


# One plain pytest parameter per operation (not schema.parametrize(), whose lazily generated
# items the pytest-xdist workers do not run): each runs FUZZ's examples of that operation.
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


def fuzz(operation, user) -> None:
    headers = {"Authorization": f"Token {token(user)}"}

    @given(case=operation.as_strategy())
    @FUZZ
    def examples(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    examples()


@pytest.mark.django_db
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_it_answers_the_admin_as_the_schema_says(operation, crib_admin):
    fuzz(operation, crib_admin)


@pytest.mark.django_db
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_it_answers_the_storekeeper_as_the_schema_says(operation, storekeeper):
    fuzz(operation, storekeeper)
