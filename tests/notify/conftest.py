from tests.front.conftest import signed_in  # noqa: F401  (the browser sign-in, shared)
