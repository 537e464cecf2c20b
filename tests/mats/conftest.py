"""A kit mat in the crib: the bench's 11-tool template saved through the services, with its
tools enrolled as instances MAT-01..MAT-11, and synthetic photos of it (bench/mat_photos.py)."""

import dataclasses

import numpy as np
import pytest

from tests.conftest import need_model, need_shared_photos


@pytest.fixture(scope="session")
def mat_layout():
    need_shared_photos(), need_model()
    from bench import mat_photos

    return mat_photos.kit_template()


@pytest.fixture(scope="session")
def design_jpeg(mat_layout):
    from bench import mat_photos
    from inference import mats

    blank = mats.Template("blank", 0, "A2", (), "TCM1-TEST00-0-0")
    return mat_photos.design_photo(mat_layout, np.random.default_rng(21), sheet=blank)


@pytest.fixture
def kit_mat(db, crib_admin, mat_layout, design_jpeg):
    """The saved template (version 1), and photo(**kw) -> JPEG bytes of it on the desk."""
    from bench import mat_photos
    from inference.recognise import CLASS_NAMES
    from toolcrib.crib import services as crib_services
    from toolcrib.crib.models import ToolInstance, ToolType
    from toolcrib.mats import services

    specs = []
    for slot in mat_layout.slots:
        tool_type = ToolType.objects.get(model_class_index=CLASS_NAMES.index(slot.tool_type))
        tool = ToolInstance.objects.create(inventory_number=slot.tool_instance, tool_type=tool_type)
        length, width = slot.extent()
        specs.append(
            services.SlotSpec(slot.label, tool_type, *slot.centre, length, width, slot.angle, tool)
        )
    design = crib_services.store_photo(design_jpeg, user=crib_admin)
    template = services.save_template(
        name="Bench kit", paper="A2", slots=specs, user=crib_admin, design_photo=design
    )
    printed = dataclasses.replace(mat_layout, code=template.code)
    seeds = iter(range(100, 200))

    def photo(**kwargs) -> bytes:
        kwargs = {"empty": 0, "wrong": False, "foreign": False, "tilt": 20.0, **kwargs}
        data, _ = mat_photos.return_photo(printed, np.random.default_rng(next(seeds)), **kwargs)
        return data

    template.photo = photo
    template.printed = printed
    return template


from tests.front.conftest import signed_in  # noqa: E402, F401  (the browser sign-in, shared)
