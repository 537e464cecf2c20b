"""`manage.py reembed` recomputes features made by another model from the kept photo and box."""

import numpy as np
import pytest
from django.core.management import call_command

from toolcrib.crib import services
from toolcrib.crib.models import Enrolment

pytestmark = [pytest.mark.django_db, pytest.mark.model, pytest.mark.photos]


def test_it_recomputes_only_what_another_model_made(tool_factory, crib_admin, capsys):
    from inference.runtime import get_model
    from tests.kit_photos import compose

    data, [a, b] = compose(
        [("5_safety_pliers__black", (50, 50), 0), ("10_open_end_wrench_3_4__black", (700, 400), 0)]
    )
    photo = services.store_photo(data)
    current = services.enrol(tool_factory("AT-1", 4), photo, a, user=crib_admin)
    old = services.enrol(tool_factory("AT-2", 9), photo, b, user=crib_admin)
    right = np.asarray(old.embedding)
    Enrolment.objects.filter(pk=old.pk).update(
        embedding=np.ones(512, np.float32), model_sha256="0" * 64
    )

    call_command("reembed")

    old.refresh_from_db()
    assert old.model_sha256 == get_model().sha256
    assert np.allclose(np.asarray(old.embedding), right, atol=1e-4)
    out = capsys.readouterr().out
    assert "enrolments: 1 to recompute" in out and "enrolments: 1/1" in out
    # Run again: nothing left to do.
    call_command("reembed")
    assert "enrolments: 0 to recompute" in capsys.readouterr().out
    current.refresh_from_db()
    assert current.model_sha256 == get_model().sha256
