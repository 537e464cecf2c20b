"""Fixtures for kit photos: real single-tool photos with hand-drawn boxes, and generated kits."""

import sys

import numpy as np
import pytest
from PIL import Image

from tests.conftest import PHOTOS, ROOT, require

sys.path.insert(0, str(ROOT / "scripts"))

# Boxes drawn by hand on the single-tool photos; the tool is in the same place on every
# background of its photo set (the backgrounds were swapped around the real tool pixels).
SINGLE_BOXES = {
    "10_open_end_wrench_3_4": (289, 267, 845, 668),
    "1_screw_flat": (240, 425, 918, 522),
    "2_screw_plus": (420, 280, 815, 525),
    "5_safety_pliers": (318, 362, 800, 452),
}


@pytest.fixture(scope="session")
def shared_photos():
    require("photos")
    return PHOTOS


@pytest.fixture(scope="session")
def tool_model(shared_photos):
    from inference.runtime import get_model, model_status

    if get_model() is None:
        pytest.skip(
            f"needs the tool model (TOOLCRIB_MODEL or ../shared/models/clf.onnx): {model_status().message}"
        )


@pytest.fixture(scope="session")
def single_tool(shared_photos, tool_model):
    """single_tool(type, background) -> KitItem from the model on that real photo."""
    from inference.kit_eval import run_model
    from inference.kits import KitItem

    def item(tool_type: str, background: str):
        image = Image.open(shared_photos / "single" / f"{tool_type}__{background}.jpg").convert(
            "RGB"
        )
        probs, features = run_model(image, [SINGLE_BOXES[tool_type]])
        return KitItem(features[0], probs[0])

    return item


@pytest.fixture(scope="session")
def kit_folder(shared_photos, tmp_path_factory):
    """Two photos of the 11 catalogue tools: spaced on a green mat, and with shadows and crumbs on paper."""
    import make_kits

    out = tmp_path_factory.mktemp("kits")
    make_kits.make_kits(
        out,
        seed=3,
        width=1200,
        kits={"kitA": make_kits.CATALOG},
        layouts=[("mat", "spaced"), ("paper", "shadows")],
    )
    return out


@pytest.fixture(scope="session")
def hard_kit_folder(shared_photos, tmp_path_factory):
    """The 11 catalogue tools on easy paper, and on two hard tables: side by side on wood
    grain, apart on rusty red steel."""
    import make_kits

    out = tmp_path_factory.mktemp("hard_kits")
    make_kits.make_kits(
        out,
        seed=5,
        width=1000,
        kits={"kitA": make_kits.CATALOG},
        layouts=[("paper", "spaced")],
        hard_layouts=[("wood", "side"), ("rust", "apart")],
    )
    return out


@pytest.fixture(scope="session")
def lay_out(shared_photos):
    """lay_out(kind, [(source, angle, length, x, y), ...]) -> (photo, true boxes, placed tools), laid by hand."""
    import make_kits

    cuts = {}

    def photo(kind: str, tools: list[tuple], *, width: int = 1200, style: str = "spaced"):
        rng = np.random.default_rng(0)
        placed = []
        for source, angle, length, x, y in tools:
            cut = cuts.setdefault(source, make_kits.cut_out(source))
            rgb, alpha = make_kits._posed(cut, angle, length)
            placed.append(make_kits.Placed(cut, rgb, alpha, x, y, zone=None))
        image = make_kits.render(placed, kind, style, width, width * 3 // 4, rng)
        return image, [p.box for p in placed], placed

    return photo
