import pytest

from tests.front.conftest import signed_in  # noqa: F401  (the browser sign-in, shared)


@pytest.fixture
def admin_client(client, crib_admin):
    client.force_login(crib_admin)
    return client
