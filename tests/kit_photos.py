"""Photos of tools laid on a table, composed from the real tool photos in ../shared/photos.

Each tool is taken from its photo by a box measured by hand (with a little of the surface it
lay on) and placed on a plain table, so an issue photo and a return photo can show the very
same tool in new places and orientations.
"""

import io

from PIL import Image

from tests.conftest import PHOTOS

# Boxes (x0, y0, x1, y1) of the tool in single/<name>.jpg, read off the photos.
TOOL_BOXES = {
    "1_screw_flat__black": (238, 422, 918, 520),
    "2_screw_plus__black": (425, 280, 820, 528),
    "5_safety_pliers__black": (320, 368, 798, 458),
    "10_open_end_wrench_3_4__black": (315, 290, 822, 642),
}


def tool_image(name: str) -> Image.Image:
    return Image.open(PHOTOS / "single" / f"{name}.jpg").convert("RGB").crop(TOOL_BOXES[name])


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
