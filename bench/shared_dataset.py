"""Lay ../shared/photos out in the training layout (for evaluate and the benches).

single/<label>__<background>.jpg and catalog/<label>.jpg become <label>/<name>.jpg
(symlinks; rotated copies when `angle` is given), with an annotations.csv that
names the physical tool: the black/green/rust/wood photos of a class show one
and the same tool (see ../shared/photos/README.md); paper and catalog photos
are each a tool of their own. No boxes: the tool is the one object in a photo.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from PIL import Image

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_PHOTOS = REPO_ROOT.parent / "shared" / "photos"
SAME_TOOL_BACKGROUNDS = {"black", "green", "rust", "wood"}
# Boxes drawn by hand around the tool in each shared photo (single/10_open_end_wrench_3_4__wood
# also shows a second, unlabelled tool: its box is the wrench's).
BOXES_CSV = Path(__file__).resolve().parent / "shared_boxes.csv"


def shared_boxes() -> dict[str, tuple[int, int, int, int]]:
    with open(BOXES_CSV, newline="") as f:
        return {
            r["photo"]: tuple(int(r[k]) for k in ("x0", "y0", "x1", "y1"))
            for r in csv.DictReader(f)
        }


def turned_box(box, size, angle: float):
    """The axis-aligned box around `box` after Image.rotate(angle, expand=True)."""
    w, h = size
    t = math.radians(angle)
    c, s = math.cos(t), math.sin(t)
    new_w, new_h = abs(w * c) + abs(h * s), abs(w * s) + abs(h * c)
    corners = [(x - w / 2, y - h / 2) for x in (box[0], box[2]) for y in (box[1], box[3])]
    xs = [c * dx + s * dy + new_w / 2 for dx, dy in corners]
    ys = [-s * dx + c * dy + new_h / 2 for dx, dy in corners]
    return (
        max(0, math.floor(min(xs))),
        max(0, math.floor(min(ys))),
        math.ceil(max(xs)),
        math.ceil(max(ys)),
    )


def tool_of(path: Path) -> tuple[str, str]:
    """(class label, physical tool id) for a shared photo."""
    label, _, background = path.stem.partition("__")
    if path.parent.name == "single" and background in SAME_TOOL_BACKGROUNDS:
        return label, f"{label}/kit"
    return label, f"{label}/{path.parent.name}/{background or 'catalog'}"


def layout(dest: Path, source: Path = SHARED_PHOTOS, angles=(0,), boxes: bool = False) -> Path:
    """Write the dataset to `dest`; each photo once per angle (degrees counter-clockwise).

    Turned copies are named ``..__rot<angle>.jpg``; right angles are exact
    transposes, other angles are turned with bicubic resampling and black corners.
    With boxes=True the hand-drawn boxes go into annotations.csv (for a turned
    photo, the upright box around the turned box, as a user would draw it).
    """
    dest.mkdir(parents=True, exist_ok=True)
    drawn = shared_boxes() if boxes else {}
    rows = []
    for path in sorted(source.glob("*/*.jpg")):
        label, tool = tool_of(path)
        folder = dest / label
        folder.mkdir(exist_ok=True)
        box = drawn.get(f"{path.parent.name}/{path.name}")
        for angle in angles:
            target = (
                folder / f"{path.parent.name}__{path.stem}{f'__rot{angle}' if angle else ''}.jpg"
            )
            if angle:
                turned = (
                    Image.open(path)
                    .convert("RGB")
                    .rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
                )
                turned.save(target, quality=95)
            else:
                target.symlink_to(path.resolve())
            coords = ["", "", "", ""]
            if box:
                size = Image.open(path).size
                coords = turned_box(box, size, angle) if angle else box
                if angle:
                    coords = (
                        *coords[:2],
                        min(coords[2], turned.width),
                        min(coords[3], turned.height),
                    )
            rows.append(
                {
                    "label": label,
                    "path": str(target.relative_to(dest)),
                    "tool": tool,
                    **dict(zip(("x0", "y0", "x1", "y1"), coords)),
                }
            )
    with open(dest / "annotations.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["label", "path", "x0", "y0", "x1", "y1", "tool"])
        writer.writeheader()
        writer.writerows(rows)
    return dest
