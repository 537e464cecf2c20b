"""Lay ../shared/photos out in the training layout (for evaluate and the benches).

single/<label>__<background>.jpg and catalog/<label>.jpg become <label>/<name>.jpg
(symlinks; rotated copies when `angle` is given), with an annotations.csv that
names the physical tool: the black/green/rust/wood photos of a class show one
and the same tool (see ../shared/photos/README.md); paper and catalog photos
are each a tool of their own. No boxes: the tool is the one object in a photo.
"""

from __future__ import annotations

import csv
from pathlib import Path

from PIL import Image

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_PHOTOS = REPO_ROOT.parent / "shared" / "photos"
SAME_TOOL_BACKGROUNDS = {"black", "green", "rust", "wood"}


def tool_of(path: Path) -> tuple[str, str]:
    """(class label, physical tool id) for a shared photo."""
    label, _, background = path.stem.partition("__")
    if path.parent.name == "single" and background in SAME_TOOL_BACKGROUNDS:
        return label, f"{label}/kit"
    return label, f"{label}/{path.parent.name}/{background or 'catalog'}"


def layout(dest: Path, source: Path = SHARED_PHOTOS, angles=(0,)) -> Path:
    """Write the dataset to `dest`; each photo once per angle (degrees counter-clockwise).

    Turned copies are named ``..__rot<angle>.jpg``; right angles are exact
    transposes, other angles are turned with bicubic resampling and black corners.
    """
    dest.mkdir(parents=True, exist_ok=True)
    rows = []
    for path in sorted(source.glob("*/*.jpg")):
        label, tool = tool_of(path)
        folder = dest / label
        folder.mkdir(exist_ok=True)
        for angle in angles:
            target = folder / f"{path.parent.name}__{path.stem}{f'__rot{angle}' if angle else ''}.jpg"
            if angle:
                Image.open(path).convert("RGB").rotate(angle, expand=True, resample=Image.Resampling.BICUBIC).save(
                    target, quality=95)
            else:
                target.symlink_to(path.resolve())
            rows.append({"label": label, "path": str(target.relative_to(dest)), "x0": "", "y0": "", "x1": "",
                         "y1": "", "tool": tool})
    with open(dest / "annotations.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["label", "path", "x0", "y0", "x1", "y1", "tool"])
        writer.writeheader()
        writer.writerows(rows)
    return dest
