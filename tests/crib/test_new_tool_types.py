"""A tool type enrolled after training has no class in the model: it is recognised from its
enrolments, so new types work without retraining."""

import pytest

from toolcrib.crib import recognition, services
from toolcrib.crib.models import ToolType

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(tool_factory, crib_admin, model_path, photos_dir):
    from tests.kit_photos import single_photo

    spanner = ToolType.objects.create(name="Adjustable spanner, 8 in", slug="spanner-8")
    tools = {
        "8_adjustable_wrench__paper": tool_factory("SPN-0008", class_index=None, tool_type=spanner),
        "5_safety_pliers__black": tool_factory("AT-288293-6", 4),
    }
    for name, tool in tools.items():
        data, box = single_photo(name)
        services.enrol(tool, services.store_photo(data), box, user=crib_admin)
    return tools


def recognise(name, turns):
    from tests.kit_photos import single_photo

    data, box = single_photo(name, turns)
    [found] = recognition.recognise_photo(services.store_photo(data), [box])
    return found


def test_it_recognises_a_new_type_from_its_enrolment(enrolled):
    found = recognise("8_adjustable_wrench__paper", turns=1)

    assert found.types[0].name == "Adjustable spanner, 8 in"
    assert found.instances[0].inventory_number == "SPN-0008"


def test_it_still_recognises_kit_types_by_the_model(enrolled):
    found = recognise("5_safety_pliers__black", turns=3)

    assert found.types[0].name == "Lockwire pliers"
    assert [c.inventory_number for c in found.instances] == ["AT-288293-6"]
