"""Migration 0009: a loan period copied from TOOLCRIB_LOAN_HOURS once and never chosen is
cleared (the variable decides again); one an admin set is kept."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("crib", "0008_engineer_supervisor_email")]
AFTER = [("crib", "0009_admin_tools")]


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.fixture
def back_to_the_latest():
    """Whatever the test leaves, the database ends at the newest migrations again: the tests
    after this one (same worker, same database) need every table and column."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_the_latest")
@pytest.mark.parametrize(("chosen", "after"), [(False, None), (True, 10)])
def test_a_copied_period_follows_the_variable_again_a_chosen_one_stays(chosen, after):
    apps = migrate(BEFORE)
    try:
        apps.get_model("crib", "CribSettings").objects.create(
            pk=1, recount_threshold=60, loan_hours=10
        )
        if chosen:
            apps.get_model("crib", "AuditEvent").objects.create(
                action="changed",
                object_type="cribsettings",
                object_id="1",
                object_repr="crib settings",
                before={"loan_hours": 12},
                after={"loan_hours": 10},
            )
    finally:
        apps = migrate(AFTER)
    assert apps.get_model("crib", "CribSettings").objects.get().loan_hours == after
