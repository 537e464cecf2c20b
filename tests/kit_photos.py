"""Photos of tools laid on a table, composed from the real tool photos in ../shared/photos.

Each tool is taken from its photo by a box measured by hand (with a little of the surface it
lay on) and placed on a plain table, so an issue photo and a return photo can show the very
same tool in new places and orientations.
"""

import csv
import io

from PIL import Image

from tests.conftest import PHOTOS, ROOT

# Hand-drawn boxes (x0, y0, x1, y1) of the tool in each shared photo.
with open(ROOT / "bench" / "shared_boxes.csv", newline="") as f:
    TOOL_BOXES = {
        row["photo"]: tuple(int(row[k]) for k in ("x0", "y0", "x1", "y1"))
        for row in csv.DictReader(f)
    }


def tool_image(name: str) -> Image.Image:
    """`name`: a photo of single/ without .jpg (`5_safety_pliers__black`), or `catalog/6_pliers`."""
    path = name if "/" in name else f"single/{name}"
    return Image.open(PHOTOS / f"{path}.jpg").convert("RGB").crop(TOOL_BOXES[f"{path}.jpg"])


def compose(placements, *, size=(1600, 1200), surface=(40, 42, 44)) -> tuple[bytes, list[tuple]]:
    """JPEG of tools on a plain table and each tool's box, in the order given.

    placements: (tool name, (left, top), quarter turns counter-clockwise).
    """
    canvas = Image.new("RGB", size, surface)
    boxes = []
    for name, (x0, y0), turns in placements:
        tool = tool_image(name).rotate(90 * turns, expand=True)
        canvas.paste(tool, (x0, y0))
        boxes.append((x0, y0, x0 + tool.width, y0 + tool.height))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=92)
    return buf.getvalue(), boxes


def single_photo(name: str, turns: int = 0) -> tuple[bytes, tuple]:
    """One tool alone on the table."""
    data, [box] = compose([(name, (150, 120), turns)])
    return data, box
