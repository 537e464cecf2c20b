"""Box proposals for tools laid on a plain surface, without a trained detector.

The surface (paper, a mat, a wooden or painted table) is modelled from the photo's
border: a quadratic surface per colour channel, so a gentle illumination gradient is
part of the background, and the colours the border holds around it (one for paper; the
light and dark of wood grain; paint, rust and bare metal). Pixels far from that surface for
its border's spread, or far from every colour the border shows, are foreground; a shadow
(darker than the surface but with its hue) cannot start a region on its own; on a textured
table (wood grain, rust) a tool's faint parts are judged by the table's colours alone. Connected
regions become boxes; a region much larger than the typical tool is split at its narrow
necks, which separates tools that touch at a point. When the number of tools is known (an API
client's expected_tools at issue), the largest regions are also cut along a straight seam until there are that
many: tools side by side along their length. Without it, and for tools lying across each
other, they stay one region: that is left to the user, who edits the boxes in the browser.
Measured figures and the layouts that work: docs/kits.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np
from PIL import Image
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError, cKDTree

from . import config, masks, preprocess, shafts, turned

WORK_SIDE = 640  # longer side of the working copy; tools stay >= ~15 px wide at this size
BORDER = 0.04  # fraction of each side that is assumed to be bare surface
STRONG = 1.6  # foreground: colour distance above this many surface-noise units
MIN_DEPTH = 0.007  # a tool is this thick somewhere (half-width as a fraction of the longer side: ~1.4 cm across a 1 m table)
OVERLAP = 1.6  # a region this many times the typical tool's area may hold several tools...
ALONE = 2.2  # ... and without the expected count, only from this many times
MAYBE = (
    1.4  # below ALONE, from this many times the median region it "may hold 2 tools" (docs/kits.md)
)


@dataclass(frozen=True)
class Proposal:
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels, x1/y1 exclusive
    confidence: float  # 0..1
    area: int = 0  # foreground pixels (image scale), to compare proposals with each other
    flags: tuple[
        str, ...
    ] = ()  # "split" (cut out of a larger region), "pile_cut" (cut out of a region over
    # SEAM_MOST typical tools), "mirrored" (kept whole: its own mirror image, a pair of
    # pliers), "maybe_two_tools" (refine_with_model)
    tools: int = (
        1  # how many tools the box likely holds: > 1 where tools overlap and no cut was found
    )
    maybe_several: bool = False  # one tool likely, but large enough to hold two: check it
    # The smallest turned box around the region (inference/turned.py) where it holds much less
    # than `box`: a diagonal tool's box without its neighbours. None: `box` fits.
    turned_box: tuple | None = None

    @property
    def fitted(self) -> tuple:
        """The box that fits the tool: the turned box where there is one."""
        return self.turned_box or self.box

    @property
    def cut_from_pile(self) -> bool:
        """Cut out of tools that overlap, to reach the count: a guess at where one tool ends
        (docs/kits.md, "Boxes cut out of a pile")."""
        return "pile_cut" in self.flags

    @property
    def notice(self) -> str:
        return notice(self.tools, self.maybe_several, self.cut_from_pile)


def notice(tools: int, maybe_several: bool = False, cut_from_pile: bool = False) -> str:
    """What the desk should do about a box that holds several tools or was cut out of them
    ("" for one tool found as it lies)."""
    if tools >= 2:
        return f"{tools} tools overlap here: spread them apart or draw the boxes"
    if maybe_several:
        return "This box may hold 2 tools: check it, and spread them apart or draw the boxes"
    if cut_from_pile:
        return "Cut apart from tools that overlap: check this box"
    return ""


def propose_boxes(
    image: Image.Image,
    *,
    work_side: int = WORK_SIDE,
    table: str | None = None,
    expected: int | None = None,
    at_most: int | None = None,
) -> list[Proposal]:
    """Boxes around the tools in `image`, most confident first (`table`: see table_method).

    `expected`: how many tools the photo should hold when that is known (a return that ends
    the shift: all the engineer's tools; at issue, the chosen kit's). Regions are then cut
    harder until there are that many, a region that still holds several tools says so
    (Proposal.tools), and the boxes beyond the count are not proposed. `at_most`: an upper
    bound only (a normal return may bring some of the engineer's tools, and another's tool by
    mistake): nothing is cut harder or left out, and no region claims more tools than could be
    there; treating the bound as the count made single tools "overlap" (docs/kits.md)."""
    rgb = image.convert("RGB")
    scale = min(1.0, work_side / max(rgb.size))
    small = (
        rgb.resize(
            (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))),
            Image.Resampling.BILINEAR,
        )
        if scale < 1
        else rgb
    )
    pixels = np.asarray(small, dtype=np.float32)
    mask, contrast = foreground_mask(pixels, table)
    scale_xy = (rgb.width / small.width, rgb.height / small.height)
    regions = _with_shafts(_regions(mask, expected, at_most), pixels)
    proposals = [_proposal(region, contrast, scale_xy, rgb.size) for region in regions]
    proposals = sorted((p for p in proposals if p.confidence > 0.05), key=lambda p: -p.confidence)
    return _counted(proposals, expected) if expected else proposals


def _counted(proposals: list[Proposal], expected: int) -> list[Proposal]:
    """The most confident boxes until they hold the `expected` tools: the desk counted the
    tools on the table, so a box beyond that count is grain, a stain or a fragment (a real
    screwdriver on wood got five boxes with one tool told; docs/kits.md, "Told one tool")."""
    kept: list[Proposal] = []
    held = 0
    for p in proposals:
        if held >= expected:
            break
        kept.append(p)
        held += p.tools
    return kept


def propose_in_file(
    source: str | Path | BinaryIO,
    *,
    expected: int | None = None,
    at_most: int | None = None,
) -> list[Proposal]:
    """propose_boxes on a photo file as the app sees it, boxes in the photo's own pixels. A JPEG
    is decoded at the smallest DCT scale that still gives WORK_SIDE (10x faster than a full
    12 MP decode); the evaluation decodes the same way, so its figures are what the pages get."""
    with Image.open(source) as image:
        width = image.width
        small = preprocess.decode_small(image, WORK_SIDE)
        scale = width / image.width  # the decoded image's width, before the EXIF turn
    size = (round(small.width * scale), round(small.height * scale))
    return [
        _scaled(p, scale, size) for p in propose_boxes(small, expected=expected, at_most=at_most)
    ]


def _scaled(proposal: Proposal, scale: float, size: tuple[int, int]) -> Proposal:
    if scale == 1:
        return proposal
    x0, y0, x1, y1 = proposal.box
    box = (
        int(x0 * scale),
        int(y0 * scale),
        min(round(x1 * scale), size[0]),
        min(round(y1 * scale), size[1]),
    )
    turned_box = proposal.turned_box
    if turned_box is not None:
        tx0, ty0, tx1, ty1, angle = turned_box
        turned_box = turned.from_rect(
            (tx0 + tx1) / 2 * scale,
            (ty0 + ty1) / 2 * scale,
            (tx1 - tx0) * scale,
            (ty1 - ty0) * scale,
            angle,
        )
        if not turned.fits(turned_box, size):
            turned_box = None  # rounding took a corner off the photo: the plain box fits
    return replace(
        proposal, box=box, area=round(proposal.area * scale * scale), turned_box=turned_box
    )


SALIENT = 0.5  # the mask model's output (0..1) above which a pixel is part of an object


def table_method(table: str | None = None) -> str:
    """How the table is told from the tools (TOOLCRIB_TABLE): "border" (the default: a plain
    surface modelled from the photo's border band) or "saliency" (the mask model,
    inference/masks.py; border when the model is not there). Measured in docs/kits.md."""
    table = (table or config.from_environ().table).strip().lower()
    if table not in config.TABLE_METHODS:
        raise ValueError(
            f"table method {table!r}: expected one of {', '.join(config.TABLE_METHODS)}"
        )
    if table == "saliency" and masks.get_mask_model() is None:
        return "border"
    return table


def foreground_mask(pixels: np.ndarray, table: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Boolean mask of what is not bare surface, and how clearly each pixel stands out
    (in surface-noise units: above STRONG is clearly a tool).

    `pixels` is float RGB [h, w, 3]; `table` as table_method().
    """
    h, w, _ = pixels.shape
    model = masks.get_mask_model() if table_method(table) == "saliency" else None
    if model is not None:
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        salient = model.saliency(image, (w, h))
        # What the model marks clearly is taken as it is: tools without their shadows, no grain.
        # Measured and not kept (docs/kits.md): adding its faint parts (0.15-0.3, hysteresis),
        # or where the colour model agrees, merged neighbours and brought the shadows back.
        return ndimage.binary_fill_holes(salient > SALIENT), salient * (2 * STRONG / SALIENT)
    return _inner_surfaces(pixels, *_colour_mask(pixels))


SURFACE = 0.4  # a region this share of the photo or more is no tool: a mat or board on the table
SURFACE_FILL = 0.7  # ... when it fills this much of its bounding box (a sheet, a tile, a plate)
SURFACE_EDGE = 0.01  # its own edge (this share of its size) is neither table nor tool
SURFACE_INSETS = (0.02, 0.04, 0.06)  # its band is tried this share of its size inside its edge


def _inner_surfaces(
    pixels: np.ndarray, mask: np.ndarray, z: np.ndarray, depth: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """The tools on a sheet, a mat or a board that lies on the table with the table in view
    around it: the whole sheet differs from the table, and was one region too large to be a
    tool (no box at all). On it, the sheet is the table: the mask there is found again, the
    surface modelled from a band of the sheet's own pixels just inside its edge; and again
    inside that, for a window in a plate (depth)."""
    h, w = mask.shape
    if depth == 0 or mask.sum() < SURFACE * h * w:
        return mask, z  # nearly every photo: no region can be that large, nothing to label
    labels, count = ndimage.label(mask)
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    for k, where in enumerate(ndimage.find_objects(labels), start=1):
        ys, xs = where
        height, width = ys.stop - ys.start, xs.stop - xs.start
        if areas[k] < SURFACE * h * w or areas[k] < SURFACE_FILL * height * width:
            continue
        size = min(height, width)
        sheet = labels[where] == k
        inner = ndimage.binary_erosion(sheet, iterations=max(1, round(SURFACE_EDGE * size)))
        band = _plainest_band(pixels[where], _outline(sheet), size)
        if band is None:
            continue
        sub_mask, sub_z = _colour_mask(pixels[where], band, sheet=True)
        sub_mask, sub_z = _inner_surfaces(pixels[where], sub_mask & inner, sub_z, depth - 1)
        mask = mask & (labels != k)
        mask[where] |= sub_mask
        z = z.copy()
        z[where] = np.where(sheet, sub_z, z[where])
    return mask, z


def _outline(region: np.ndarray) -> np.ndarray:
    """A sheet's region with its hollows filled (its convex hull): straight where the region's
    edge is ragged. A sheet that reaches the photo's edge is in the border band, and a light
    corner of it was taken for table; a band inside the region's edge then ran across the
    sheet through the tools there. The hull, not the least rectangle: a sheet seen at a slant
    is no rectangle, and the rectangle's band ran onto the desk (docs/kits.md, "A sheet's
    outline")."""
    ys, xs = np.nonzero(region)
    hull = cv2.convexHull(np.stack([xs, ys], axis=1).astype(np.int32))
    filled = np.zeros(region.shape, np.uint8)
    cv2.fillPoly(filled, [hull], 1)
    return filled.astype(bool)


def _plainest_band(pixels: np.ndarray, sheet: np.ndarray, size: int) -> np.ndarray | None:
    """The band inside the sheet's edge that its surface model fits best (the least spread):
    next to the edge it may hold the sheet's bevel or its shadow on the table; further in, the
    tools."""
    smooth = ndimage.uniform_filter(pixels, size=(3, 3, 1))
    best, least = None, np.inf
    for inset in SURFACE_INSETS:
        ring = ndimage.binary_erosion(sheet, iterations=max(1, round(inset * size)))
        band = ring & ~ndimage.binary_erosion(ring, iterations=max(2, round(BORDER * size)))
        if band.sum() < 100:
            continue
        residual = smooth[band] - _fit_background(smooth, band)[band]
        spread = float(np.percentile(np.sqrt((residual**2).sum(axis=1)), 95))
        if spread < least:
            best, least = band, spread
    return best


def _local_spread(smooth: np.ndarray, border: np.ndarray) -> float:
    """The 75th percentile over the border of the colour spread within 9 px (levels of 255)."""
    mean = ndimage.uniform_filter(smooth, size=(9, 9, 1))
    square = ndimage.uniform_filter(smooth**2, size=(9, 9, 1))
    local = np.sqrt(np.clip(square - mean * mean, 0, None).sum(axis=2))
    return float(np.percentile(local[border], 75))


def _colour_mask(
    pixels: np.ndarray, border: np.ndarray | None = None, sheet: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The border-based table model: a plain surface, modelled from the border band (or from
    `border`, the band of a sheet's own pixels just inside its edge: _inner_surfaces)."""
    h, w, _ = pixels.shape
    smooth = ndimage.uniform_filter(pixels, size=(3, 3, 1))  # calms JPEG noise and fine texture
    border = _border_mask(h, w) if border is None else border
    background = _fit_background(smooth, border)
    residual = smooth - background
    distance = np.sqrt((residual**2).sum(axis=2))
    # A pixel stands out in either of two ways. (1) Far from the surface in units of the
    # border's whole spread (its 95th percentile x 1.25; the 95th, not the maximum: crumbs or
    # a tool's tip may lie in the border band): right for a plain table, where the spread is
    # noise. (2) Far from every colour the border shows (the light and the dark of wood grain;
    # red paint, rust and bare metal; a table and the floor beyond its edge): on such tables
    # the spread of (1) is the whole range of their colours, and tools fell apart in it.
    # (2) alone lost chrome on white paper and crumbs made boxes (docs/kits.md): both, kept.
    noise = 1.25 * float(np.percentile(distance[border], 95)) + 3.0
    colours = _table_z(residual, border)
    z = np.maximum(distance / noise, colours)
    shadow = _shadow_mask(smooth, background)
    # Hysteresis: a region counts only if some of it differs from the surface by more than a
    # shadow could (hue, or much darker); then its faint and shadow-like parts count too, since
    # grey metal on a light table darkens it just as a shadow does. A shadow alone makes no box;
    # one attached to a tool widens that tool's box by the shadow's offset.
    # On a textured table (wood grain, rust, a cutting mat's grid; border spread over TEXTURED)
    # the distance to the surface is mostly texture, and its faint band ran through the grain
    # from tool to tool (seven tools in one region on wood): there only the table's colours
    # say what is a tool's faint part (docs/kits.md, "Faint parts on textured tables"). A
    # smooth table with the floor beyond its edge spreads as widely, but there the floor's
    # colours took chrome's dark reflections for table: it keeps the surface's faint band.
    textured = noise > TEXTURED and not _two_surfaces(smooth, border)
    if textured and sheet:
        # a sheet of paper spreads with its mottling and the light across it, but is smooth
        # within 9 px: chrome on it keeps the surface's faint band (a wooden board is not)
        textured = _local_spread(smooth, border) >= SMOOTH_LOCAL
    weak = (colours if textured else z) > STRONG * 0.6
    strong = (z > STRONG) & ~shadow
    labels, count = ndimage.label(weak)
    seeded = np.zeros(count + 1, dtype=bool)
    seeded[labels[strong]] = True
    seeded[0] = False
    mask = seeded[labels]
    # No opening: it would erase a screwdriver's shaft (2-3 px here); specks go by area later.
    radius = max(1, round(max(h, w) / 640))
    mask = ndimage.binary_closing(mask, _disc(radius * 2))  # rejoins a tool cut by a reflection
    mask = ndimage.binary_fill_holes(mask)
    return mask, z


TEXTURED = 25.0  # a border spread (the noise unit, levels of 255) above this is a textured table
SMOOTH_LOCAL = 8.0  # ... unless 3/4 of the border is this smooth within 9 px (levels of 255)
SURFACES_APART = 4.5  # ... and its blocks fall in two groups this many spreads apart
COLOUR_BIN = 4.0  # colour resolution of the table's colours (residual units, 0..255 scale)
COLOUR_HALF = 32  # bins each side of the fitted surface: +-128 covers any table's spread
SUPPORT_MARGIN = 2.0  # z = distance to the table's colours / (this x the held-out spread)
TABLE_BLOCKS = 4  # a colour is the table's when this many 16-px blocks of the border show it


def _two_surfaces(smooth: np.ndarray, border: np.ndarray) -> bool:
    """Whether the border shows two smooth surfaces (a painted table and the dark floor beyond
    its edge) rather than one textured one: smooth within 9 px almost everywhere, and its 16-px
    blocks' colours fall in two groups far apart (Otsu's split along their main axis; wood,
    rust and a vignetted sheet of paper vary by degrees). Measured in docs/kits.md, "Two
    surfaces"."""
    if _local_spread(smooth, border) >= SMOOTH_LOCAL:
        return False
    ys, xs = np.nonzero(border)
    _, block = np.unique((ys // 16) * 4096 + xs // 16, return_inverse=True)
    size = np.bincount(block).astype(np.float64)
    colours = np.stack([np.bincount(block, smooth[ys, xs, k]) / size for k in range(3)], axis=1)
    colours -= colours.mean(axis=0)
    along = np.sort(colours @ np.linalg.svd(colours, full_matrices=False)[2][0])
    n = len(along)
    if n < 4:
        return False
    # within-group sums of squares for every split point, from cumulative sums
    k = np.arange(1, n)
    total, squares = np.cumsum(along), np.cumsum(along**2)
    low = squares[:-1] - total[:-1] ** 2 / k
    high = (squares[-1] - squares[:-1]) - (total[-1] - total[:-1]) ** 2 / (n - k)
    i = int(np.argmin(low + high))
    spread = np.sqrt((low[i] + high[i]) / n) + 1e-6
    return bool((along[i + 1 :].mean() - along[: i + 1].mean()) / spread > SURFACES_APART)


def _table_z(residual: np.ndarray, border: np.ndarray) -> np.ndarray:
    """How far each pixel's colour (its residual from the fitted surface) lies from the colours
    the border band holds, in units of the table's own spread: the 95th percentile distance
    from half the border's pixels (a checkerboard of 16-px blocks) to the colours of the other
    half, plus 3, times SUPPORT_MARGIN. On every table measured the held-out distance was 0
    (a table's colours recur all along its border), so the unit is 6 levels of 255; it
    widens only for a table whose border changes from one side to the other."""
    ys, xs = np.nonzero(border)
    samples = residual[ys, xs]
    block = (ys // 16) * 4096 + xs // 16
    half = ((ys // 16) + (xs // 16)) % 2 == 0
    held_out = _colour_distance(samples[~half], samples[half], block[half])
    unit = SUPPORT_MARGIN * (float(np.percentile(held_out, 95)) + 3.0)
    return _colour_distance(residual, samples, block) / unit


def _colour_distance(colours: np.ndarray, table: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Distance from each colour (..., 3) to the nearest colour bin of the table: one that the
    `table` colours (n, 3) show in at least TABLE_BLOCKS of the border's 16-px blocks (`where`,
    n). A colour of the table recurs along its border; a crumb, a speck of dirt or a tool's tip
    in the border band sits in one or two blocks (counted by pixels instead, a few crumbs put
    the whole grey axis into white paper's colours, and chrome on paper fell apart:
    docs/kits.md). A Euclidean distance transform over the colour grid."""
    n = 2 * COLOUR_HALF
    q = np.clip(np.floor(table / COLOUR_BIN).astype(np.int64) + COLOUR_HALF, 0, n - 1)
    bins = (q[:, 0] * n + q[:, 1]) * n + q[:, 2]
    pairs = np.unique(bins * (int(where.max()) + 1) + where) // (int(where.max()) + 1)
    blocks = np.bincount(pairs, minlength=n**3)
    occupied = blocks.reshape((n, n, n)) >= TABLE_BLOCKS
    if not occupied.any():
        occupied[COLOUR_HALF, COLOUR_HALF, COLOUR_HALF] = True
    grid = ndimage.distance_transform_edt(~occupied).astype(np.float32) * COLOUR_BIN
    c = np.clip(np.floor(colours / COLOUR_BIN).astype(np.int32) + COLOUR_HALF, 0, n - 1)
    beyond = np.clip(np.abs(colours) - COLOUR_HALF * COLOUR_BIN, 0, None)  # outside the grid
    return grid[c[..., 0], c[..., 1], c[..., 2]] + np.sqrt((beyond**2).sum(axis=-1))


def _fit_background(pixels: np.ndarray, border: np.ndarray) -> np.ndarray:
    """Per-channel quadratic surface fitted to the border band, refitted without outliers
    (a tool handle that pokes into the border must not bend the model)."""
    h, w, _ = pixels.shape
    ys, xs = np.nonzero(border)
    step = max(1, len(ys) // 8000)  # a few thousand samples pin six coefficients down
    ys, xs = ys[::step], xs[::step]
    design = _quadratic_terms(xs / w, ys / h)
    values = pixels[ys, xs].astype(np.float64)  # [n, 3]
    keep = np.ones(len(ys), dtype=bool)
    for _ in range(3):
        a = design[keep]
        # normal equations: a 6x6 solve, far cheaper than lstsq's SVD and as exact here
        coef = np.linalg.solve(a.T @ a + 1e-9 * np.eye(6), a.T @ values[keep])
        residual = np.sqrt(((design @ coef - values) ** 2).sum(axis=1))
        keep = residual <= max(3.0 * _robust_sigma(residual[keep]), 6.0)
    x = (np.arange(w, dtype=np.float32) / w)[None, :]
    y = (np.arange(h, dtype=np.float32) / h)[:, None]
    c = coef.astype(np.float32)
    return np.stack(
        [
            c[0, k]
            + c[1, k] * x
            + c[2, k] * y
            + c[3, k] * x * x
            + c[4, k] * x * y
            + c[5, k] * y * y
            for k in range(3)
        ],
        axis=2,
    )


def _quadratic_terms(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1)


def _shadow_mask(pixels: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Darker than the surface by a uniform factor in every channel, and smooth: a soft shadow.

    Grey metal on a light surface also darkens it evenly, but it has edges and reflections;
    its flat inner parts, if taken for shadow, come back when holes are filled."""
    ratio = (pixels + 8.0) / (background + 8.0)
    brightness = ratio.mean(axis=2)
    spread = ratio.std(axis=2) / np.maximum(brightness, 1e-3)
    slope = np.hypot(ndimage.sobel(brightness, 0), ndimage.sobel(brightness, 1)) / 8  # per pixel
    # a soft shadow's edge changes brightness by < 0.07 per working pixel; metal's edges by more
    return (brightness > 0.45) & (brightness < 0.95) & (spread < 0.05) & (slope < 0.09)


@dataclass(frozen=True)
class _Region:
    where: tuple[slice, slice]  # the region's bounding slice in the working image
    mask: np.ndarray  # bool, the size of that slice
    flags: tuple[str, ...]


def _regions(
    mask: np.ndarray, expected: int | None = None, at_most: int | None = None
) -> list[_Region]:
    """Connected foreground regions, large ones split at narrow necks; with `expected`, cut
    harder until there are that many; each region's likely number of tools in its flags."""
    h, w = mask.shape
    labels, count = ndimage.label(mask)
    if count == 0:
        return []
    areas = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    min_area = 0.0008 * h * w  # a speck: smaller than the smallest tool seen from above
    slices = ndimage.find_objects(labels)
    # A tool has a thick part somewhere (a handle, a head); wood grain and scratches do not.
    depth = ndimage.distance_transform_edt(mask)
    keep = [
        i
        for i in range(count)
        if areas[i] >= min_area
        and depth[slices[i]][labels[slices[i]] == i + 1].max() >= MIN_DEPTH * max(h, w)
    ]
    if not keep:
        return []
    typical = median = float(np.median(areas[keep]))
    if expected and len(keep) < expected:
        # the tools' typical area from what they cover together: merged regions pull the
        # median up, the sum is the same however the tools lie
        typical = float(areas[keep].sum()) / expected
    elif expected:
        # as many regions as tools or more: some are fragments (a chrome shaft lost on a grey
        # table), which pull the median down until whole pliers look like two tools; the median
        # by area is what a tool's pixel lies in (docs/kits.md). Not without the count: there
        # it cut fewer merged pairs.
        typical = _area_median(areas[keep])
    regions = []
    for i in keep:
        sl = slices[i]
        region = labels[sl] == i + 1
        parts = [region]
        flags: tuple[str, ...] = ()
        if areas[i] > 1.6 * typical and len(keep) >= 3:
            if _mirrored(region):
                flags = ("mirrored",)  # a pair of pliers: its pivot is no neck between two tools
            elif not expected:
                # With the count, _cut_to cuts instead, only while tools are short: cut here, a
                # screwdriver's handle left its shaft on the next tool, and the fragment took a
                # place in the count (docs/kits.md, "The neck or the seam").
                parts = _split(region, typical)
                flags = ("split",) if len(parts) > 1 else ()
        regions += [_Region(sl, part, flags) for part in parts]
    # The room is no tool; dropped only now, since the typical tool's area was measured with it
    # (dropping it first raised the median and cost the real kit photo a split: docs/kits.md).
    regions = [r for r in regions if _sides_touched(r.where, h, w) < 2]
    if expected:
        regions = _cut_to(regions, typical, expected)
        regions = _join_to(regions, typical, expected, max(h, w))
    if expected or len(regions) >= 3:
        regions = _with_counts(regions, typical, expected, at_most)
    if len(regions) >= 3:
        regions = _maybe_several(regions, median, expected or at_most)
    return regions


def _with_shafts(regions: list[_Region], pixels: np.ndarray) -> list[_Region]:
    """Each handle with the thin shaft that was lost beyond it, where one is found
    (inference/shafts.py)."""
    labels = np.zeros(pixels.shape[:2], np.int32)
    for k, r in enumerate(regions, start=1):
        labels[r.where][r.mask] = k
    for k, line in shafts.follow(labels, pixels).items():
        xs, ys = np.round(line).astype(int).T
        where = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
        mask = np.zeros((where[0].stop - where[0].start, where[1].stop - where[1].start), bool)
        mask[ys - ys.min(), xs - xs.min()] = True
        r = regions[k - 1]
        regions[k - 1] = replace(_joined(r, _Region(where, mask, ())), flags=r.flags)
    return regions


def _area_median(areas: np.ndarray) -> float:
    """The area of the region that the median foreground pixel lies in."""
    ordered = np.sort(areas.astype(np.float64))
    total = np.cumsum(ordered)
    return float(ordered[np.searchsorted(total, total[-1] / 2)])


def _maybe_several(regions: list[_Region], median: float, most: int | None) -> list[_Region]:
    """Flag the one-tool regions large enough to hold two (MAYBE x the median region): on the
    real kit photo this finds the boxes that hold two tools (and one large tool); on the
    synthetic set about half the merged boxes, a third of the flags right (docs/kits.md). With a
    count or a bound, only while it leaves room for another tool."""

    def count(r: _Region) -> int:
        return next((int(f[6:]) for f in r.flags if f.startswith("tools=")), 1)

    room = None if most is None else most - sum(count(r) for r in regions)
    out = []
    for r in sorted(regions, key=lambda r: -int(r.mask.sum())):
        if (
            count(r) == 1
            and "mirrored" not in r.flags
            and r.mask.sum() >= MAYBE * median
            and (room is None or room > 0)
        ):
            r = _Region(r.where, r.mask, r.flags + ("maybe_several",))
            room = None if room is None else room - 1
        out.append(r)
    return out


def _sides_touched(where: tuple[slice, slice], h: int, w: int) -> int:
    """How many sides of the photo a region reaches. A tool on the table reaches one at most
    (cut by the frame); what reaches two or more is the room: a dark corner (the real kit
    photo's vignetting), the floor beyond the table's edge (docs/kits.md)."""
    ys, xs = where
    near = max(2, round(0.01 * max(h, w)))  # the closing keeps a mask a pixel or two off the edge
    return (ys.start < near) + (ys.stop > h - near) + (xs.start < near) + (xs.stop > w - near)


SPECK = 0.3  # a region under this share of the typical tool is a fragment: not one of the count
CUT_FROM = 1.4  # with the count, a region from this many typical tools' area may be cut
SEAM_MOST = 3.0  # ... along a straight seam only up to this many: larger ones are piles


def _cut_to(regions: list[_Region], typical: float, expected: int) -> list[_Region]:
    """Cut the largest regions until there are `expected` tools' worth of them: fragments
    (under SPECK x the typical tool) do not count, so a thin shaft in pieces or a shadow's tip
    leaves the count short for the merged pair beside it. Each cut is a straight seam (_seam_cut:
    tools side by side along their length have no neck), but only up to SEAM_MOST typical tools
    (a larger region is a pile: cut, it lost its "k tools overlap" notice and test_recognition's
    pile failed), or the neck (_split) where two tools touch there (_touching: a can opener
    against a pair of pliers, where the seam ran through the pliers) or no seam cuts; else the
    neck with looser rules; parts may be cut again (docs/kits.md, "Cutting merged tools", "The
    neck or the seam"). When no region is that large, the least solid region is cut
    (_least_solid): two tools touching at an angle make less than 1.4."""
    todo = sorted(regions, key=lambda r: -int(r.mask.sum()))
    done: list[_Region] = []
    while sum(int(r.mask.sum()) >= SPECK * typical for r in todo + done) < expected:
        region = _next_cut(todo, done, typical)
        if region is None:
            break
        todo = [r for r in todo if r is not region]
        if "mirrored" in region.flags or _mirrored(region.mask):
            # one pair of pliers, not two tools: not cut, and not said to hold several either
            done.append(replace(region, flags=tuple(dict.fromkeys(region.flags + ("mirrored",)))))
            continue
        depth = _depth(region.mask)  # the neck, its judge and the looser neck all measure it
        parts = _split(region.mask, typical, depth=depth)
        if not _touching(parts, depth, typical) and region.mask.sum() <= SEAM_MOST * typical:
            seam = _seam_cut(region.mask, typical)  # only when the neck is no contact: it costs
            parts = seam if len(seam) > 1 else parts
        if len(parts) < 2:
            parts = _split(region.mask, typical, share=0.25, ratio=1.3, depth=depth)
        if len(parts) > 1:
            # cut out of a pile: half of these boxes are wrong, against a fifth of the rest
            pile = "pile_cut" in region.flags or region.mask.sum() > SEAM_MOST * typical
            flags = ("split", "pile_cut") if pile else ("split",)
            todo += [_Region(region.where, part, flags) for part in parts]
        else:
            done.append(region)
    return sorted(todo + done, key=lambda r: -int(r.mask.sum()))


POINT = 0.15  # a neck whose thin part is this short (x the typical tool's side) is a contact...
BROAD = 0.35  # ... as is one this thick (x the thinner part's own depth): edge against edge


def _touching(parts: list[np.ndarray], depth: np.ndarray, typical: float) -> bool:
    """Whether a neck's cut (_split) parts two tools that touch, not one tool at its own thin
    part. A screwdriver's shaft or a brace's crank is long and much thinner than the handle
    beside it; cut there, the tool fell in two. Two tools touch at a point (the thin part the
    cut runs through is short: a can opener against a pair of pliers) or edge to edge (the neck
    nearly as thick as the thinner part: a handle's end against a handle). `depth`: the
    region's (_depth). docs/kits.md, "The neck or the seam"."""
    if len(parts) != 2:
        return False
    first, second = parts
    region = depth > 0
    cut = first & ndimage.binary_dilation(second)
    neck = float(depth[cut].max()) if cut.any() else 0.0
    if neck >= BROAD * min(float(depth[p].max()) for p in parts):
        return True
    # what no disc a little thicker than the neck fits into: the neck, edges and thin parts
    thin = region & ~ndimage.binary_opening(region, _disc(math.ceil(1.5 * neck) + 1))
    labels, _ = ndimage.label(thin)
    through = np.unique(labels[cut & thin])
    length = np.isin(labels, through[through > 0]).sum() / (2 * max(neck, 1.0))
    return bool(length < POINT * math.sqrt(typical))


HOLLOW_FROM = 0.8  # with the count still short, a region from this many typical tools' area...
HOLLOW = 0.6  # ... that fills under this share of its convex hull is cut next (two tools in a V)


CUT_NEAR = 0.8  # regions over CUT_FROM within this share of the largest's area are all candidates


def _next_cut(todo: list[_Region], done: list[_Region], typical: float) -> _Region | None:
    """The region over CUT_FROM typical tools to cut first: of those near the largest in area
    (CUT_NEAR of it or more) the least solid, since area cannot tell which of two near-equal
    regions holds two tools and two tools joined fill less of their hull than one pair of pliers
    (the real kit photo: pliers 1.72 typical tools at solidity 0.78, wrench and screwdriver 1.64
    at 0.68; docs/kits.md, "Near-equal regions"). When none is that large, the least solid one,
    unless a pile left uncut explains the shortfall: it keeps its "k tools overlap" notice."""
    large = [r for r in todo if r.mask.sum() > CUT_FROM * typical]
    if large:
        most = max(int(r.mask.sum()) for r in large)
        near = [r for r in large if r.mask.sum() >= CUT_NEAR * most]
        return min(near, key=lambda r: _solidity(r.mask))
    if any(r.mask.sum() >= OVERLAP * typical and "mirrored" not in r.flags for r in done):
        return None
    return _least_solid(todo, typical)


def _least_solid(regions: list[_Region], typical: float) -> _Region | None:
    """The region to cut when none is larger than CUT_FROM typical tools: the least solid one
    that is at least HOLLOW_FROM tools. Two screwdrivers touching at an angle, or a wrench on a
    pair of pliers' handle, cover little of their hull, while a single tool (even a pair of
    pliers, which is kept whole anyway) fills most of it (docs/kits.md, "Hollow regions")."""
    hollow = [
        (solidity, r)
        for r in regions
        if r.mask.sum() > HOLLOW_FROM * typical
        and "mirrored" not in r.flags
        and (solidity := _solidity(r.mask)) < HOLLOW
    ]
    return min(hollow, key=lambda pair: pair[0])[1] if hollow else None


def _solidity(region: np.ndarray) -> float:
    """The share of its convex hull the region fills (the hull of pixel centres, so a
    rectangle scores a little over 1; 1.0 where there is no hull: a line)."""
    ys, xs = np.nonzero(region)
    try:
        hull = ConvexHull(np.stack([xs, ys], axis=1))
    except (QhullError, ValueError):
        return 1.0
    return float(len(ys) / max(1.0, hull.volume))


MIRRORED = 0.9  # a region this much its own mirror image across its long axis is one tool


def _mirrored(region: np.ndarray) -> bool:
    """Whether the region is its own mirror image across its long axis (MIRRORED of its pixels
    fall back on it, the axis moved up to half a spread either side). Pliers and side cutters
    are: their two handles looked like two tools laid side by side to the straight cut, which
    cut them down the middle (seed 0, hard tier: 11 of the 23 wrong cuts were pliers)."""
    region = ndimage.binary_opening(region, _disc(2))  # grain and shadow strands are not the tool's
    ys, xs = np.nonzero(region)
    if len(ys) < 3:
        return False
    points = np.stack([xs, ys], axis=1).astype(np.float64)
    centred = points - points.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    across = centred @ vectors[:, 0]
    grown = ndimage.binary_dilation(region)
    h, w = region.shape
    best = 0.0
    for shift in np.linspace(-0.45, 0.45, 7) * across.std():
        mirror = np.round(points - 2 * (across - shift)[:, None] * vectors[:, 0]).astype(int)
        inside = (mirror[:, 0] >= 0) & (mirror[:, 0] < w) & (mirror[:, 1] >= 0) & (mirror[:, 1] < h)
        hits = grown[mirror[inside, 1], mirror[inside, 0]].sum()
        best = max(best, hits / len(points))
    return best >= MIRRORED


JOIN_GAP = 0.05  # with the count, pieces this close (share of the photo's longer side) may join
JOIN_MOST = 1.3  # ... when together they make at most this many typical tools' area


def _join_to(regions: list[_Region], typical: float, expected: int, side: int) -> list[_Region]:
    """Join the nearest pieces of a tool: a chrome shaft lost on a grey table leaves a handle
    and its blade, a crank brace falls in three. Two regions join, nearest first, when they lie
    within JOIN_GAP x the photo's side, make at most JOIN_MOST typical tools together (two
    whole tools are never one), and one of them is a fragment (under SPECK x the typical tool)
    or there are more tools' worth of regions than `expected`. Measured with the count, hard
    tier not piled: precision +0.01 to +0.02, recall -0.002 to +0.005 at 2 %; from 2 to 5 %
    (session 11) precision +0.011 to +0.025, recall -0.004 to +0.003 (docs/kits.md)."""

    def edge(r: _Region) -> np.ndarray:
        ys, xs = np.nonzero(r.mask & ~ndimage.binary_erosion(r.mask))
        return np.stack([xs + r.where[1].start, ys + r.where[0].start], axis=1)

    # Each region's area, edge pixels and their tree, kept beside it: a join rebuilds only its own.
    pieces = [(r, int(r.mask.sum()), e, cKDTree(e)) for r in regions for e in [edge(r)]]
    while True:
        over = sum(area >= SPECK * typical for _, area, _, _ in pieces) > expected
        best = None
        for i, (_, area_i, _, tree_i) in enumerate(pieces):
            for j in range(i + 1, len(pieces)):
                _, area_j, edge_j, _ = pieces[j]
                if area_i + area_j > JOIN_MOST * typical:
                    continue
                if not over and min(area_i, area_j) >= SPECK * typical:
                    continue
                gap = float(tree_i.query(edge_j, k=1)[0].min())
                if gap <= JOIN_GAP * side and (best is None or gap < best[0]):
                    best = (gap, i, j)
        if best is None:
            break
        _, i, j = best
        joined = _joined(pieces[i][0], pieces[j][0])
        e = edge(joined)
        pieces = [p for k, p in enumerate(pieces) if k not in (i, j)]
        pieces.append((joined, int(joined.mask.sum()), e, cKDTree(e)))
    return [r for r, _, _, _ in sorted(pieces, key=lambda p: -p[1])]


def _joined(a: _Region, b: _Region) -> _Region:
    y0 = min(a.where[0].start, b.where[0].start)
    x0 = min(a.where[1].start, b.where[1].start)
    y1 = max(a.where[0].stop, b.where[0].stop)
    x1 = max(a.where[1].stop, b.where[1].stop)
    mask = np.zeros((y1 - y0, x1 - x0), bool)
    for r in (a, b):
        mask[
            r.where[0].start - y0 : r.where[0].stop - y0,
            r.where[1].start - x0 : r.where[1].stop - x0,
        ] |= r.mask
    return _Region((slice(y0, y1), slice(x0, x1)), mask, ("joined",))


SEAM_ANGLES = 16  # directions of the straight cuts tried (every 11.25 degrees)
SEAM_GAIN = 0.75  # a cut is taken when its parts are this much narrower than the whole, or more


def _seam_cut(region: np.ndarray, typical: float, share: float = 0.25) -> list[np.ndarray]:
    """Cut a region in two along the straight line that leaves the narrowest parts: their mean
    width (pixels over length along their own main axis), weighted by area, at most SEAM_GAIN x
    the whole region's. A tool is long and narrow; two laid side by side along their length make
    a region twice as wide with no neck, cut along the seam; two touching at an angle, cut where
    they meet. Cuts through tools laid end to end leave parts as wide as the whole: no gain,
    left to _split's neck. Lines every 180/SEAM_ANGLES degrees, at every 5 % of the region's
    area from 20 to 80 %; each part >= `share` x the typical tool."""
    ys, xs = np.nonzero(region)
    if len(ys) < 2 * share * typical:
        return [region]
    step = max(1, len(ys) // 3000)  # a few thousand points measure a width well enough
    points = np.stack([xs, ys], axis=1).astype(np.float64)
    sample = points[::step]
    n = len(sample)
    best: tuple[float, np.ndarray, float] | None = None
    for theta in np.arange(SEAM_ANGLES) * np.pi / SEAM_ANGLES:
        normal = np.array([np.cos(theta), np.sin(theta)])
        along = sample @ normal
        order = np.argsort(along, kind="stable")
        for k in (np.arange(0.2, 0.81, 0.05) * n).astype(int):
            a, b = sample[order[:k]], sample[order[k:]]
            if min(len(a), len(b)) * step < share * typical:
                continue
            cost = (len(a) * _mean_width(a) + len(b) * _mean_width(b)) / n
            if best is None or cost < best[0]:
                best = (cost, normal, float(along[order[k]]))
    if best is None or best[0] > SEAM_GAIN * _mean_width(sample):
        return [region]
    _, normal, offset = best
    first = np.zeros_like(region)
    side = points @ normal < offset
    first[ys[side], xs[side]] = True
    return _tidy([first, region & ~first])


def _mean_width(points: np.ndarray) -> float:
    """Points (a mask's pixels) over their extent along their principal axis."""
    if len(points) < 3:
        return 0.0
    centred = points - points.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    major = centred @ vectors[:, 1]
    return len(points) / (float(major.max() - major.min()) + 1.0)


def _tidy(parts: list[np.ndarray]) -> list[np.ndarray]:
    """Of two parts cut by a straight line, the bits cut off from a part's main piece (the tip
    of the other tool across the line) go to the other part."""
    out = [p.copy() for p in parts]
    for i, part in enumerate(parts):
        labels, n = ndimage.label(part)
        if n < 2:
            continue
        main = int(np.argmax(np.bincount(labels.ravel())[1:])) + 1
        stray = (labels != main) & (labels > 0)
        out[i] &= ~stray
        out[1 - i] |= stray
    return [p for p in out if p.any()]


def _with_counts(
    regions: list[_Region], typical: float, expected: int | None, at_most: int | None = None
) -> list[_Region]:
    """Mark the regions that hold several tools ("tools=k" in their flags).

    With `expected`, the tools still missing are shared out among the regions large enough to
    hold more than one (largest first, by area): a photo where every tool has its own region
    gets no mark however large its brace is. Without it, a region counts as several tools only
    when its area is clearly that of several (ALONE x the typical tool's); with `at_most`, the
    counts are then lowered, largest first, until they add up to no more than it."""
    areas = [int(r.mask.sum()) for r in regions]
    counts = [1] * len(regions)
    if expected:
        missing = expected - len(regions)
        large = sorted(
            (
                i
                for i, a in enumerate(areas)
                if a >= OVERLAP * typical and "mirrored" not in regions[i].flags
            ),
            key=lambda i: -areas[i],
        )
        for i in large:
            if missing <= 0:
                break
            extra = min(missing, max(1, round(areas[i] / typical) - 1))
            counts[i] += extra
            missing -= extra
        if missing > 0 and large:
            counts[large[0]] += missing
    else:
        counts = [
            max(2, round(a / typical)) if a >= ALONE * typical and "mirrored" not in r.flags else 1
            for a, r in zip(areas, regions)
        ]
        if at_most:
            for i in sorted(range(len(counts)), key=lambda i: -counts[i]):
                counts[i] -= min(counts[i] - 1, max(0, sum(counts) - at_most))
    return [
        _Region(r.where, r.mask, r.flags + (f"tools={n}",)) if n > 1 else r
        for r, n in zip(regions, counts)
    ]


def _depth(region: np.ndarray) -> np.ndarray:
    """Each pixel's distance to the nearest one outside the region, the frame counting as outside."""
    return ndimage.distance_transform_edt(np.pad(region, 1))[1:-1, 1:-1]


def _split(
    region: np.ndarray,
    typical: float,
    *,
    share: float = 0.35,
    ratio: float = 2.0,
    depth: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Split a region where it is pinched: cut the distance transform at rising depths until
    it falls apart into cores that regrow to tool-sized parts, each at least twice as thick as
    the neck between them. Two tools touching at a point or a short edge pass; a pliers'
    handles joining its head (a neck as thick as the handle) do not. Only regions well above
    the typical tool's area are tried: a single tool has waists too (a brace's bar between
    its sleeves, a screwdriver's shaft), and cutting there was measured to cost more than it
    gains (docs/kits.md). `depth`: the region's (_depth), where the caller has it."""
    depth = _depth(region) if depth is None else depth
    for level in np.arange(1.0, depth.max() * 0.5):
        cores, n = ndimage.label(depth > level)
        if n < 2:
            continue
        _, nearest = ndimage.distance_transform_edt(cores == 0, return_indices=True)
        owner = cores[nearest[0], nearest[1]] * region
        sizes = ndimage.sum_labels(region, owner, index=np.arange(1, n + 1))
        thickness = ndimage.maximum(depth, cores, index=np.arange(1, n + 1))
        big = [
            k + 1 for k in range(n) if sizes[k] >= share * typical and thickness[k] >= ratio * level
        ]
        if len(big) >= 2:
            # cores too small or too thin to be a tool (a wrench's second jaw) join the nearest big one
            big_cores = np.isin(cores, big) * cores
            _, nearest = ndimage.distance_transform_edt(big_cores == 0, return_indices=True)
            owner = big_cores[nearest[0], nearest[1]] * region
            return [owner == k for k in big]
    return [region]


def _proposal(
    region: _Region,
    contrast: np.ndarray,
    scale: tuple[float, float],
    size: tuple[int, int],
) -> Proposal:
    ys, xs = np.nonzero(region.mask)
    ys, xs = ys + region.where[0].start, xs + region.where[1].start
    sx, sy = scale
    x0, x1 = xs.min() * sx, (xs.max() + 1) * sx
    y0, y1 = ys.min() * sy, (ys.max() + 1) * sy
    # No pad: tight crops match best (docs/kits.md, "No pad").
    box = (
        int(max(0, np.floor(x0))),
        int(max(0, np.floor(y0))),
        int(min(size[0], np.ceil(x1))),
        int(min(size[1], np.ceil(y1))),
    )
    h, w = contrast.shape
    area = len(xs)
    # Contrast: how clearly the region stands out from the surface (median, in threshold units);
    # size: a tool covers 0.2%..25% of a kit photo; a region cut by the photo's edge is suspect.
    strength = float(
        np.clip((np.median(contrast[region.where][region.mask]) / STRONG - 1.0) / 3.0, 0.0, 1.0)
    )
    share = area / (h * w)
    size_ok = float(np.clip(share / 0.002, 0.0, 1.0) * np.clip((0.4 - share) / 0.15, 0.0, 1.0))
    touches_edge = xs.min() == 0 or ys.min() == 0 or xs.max() == w - 1 or ys.max() == h - 1
    confidence = (
        (0.5 + 0.5 * strength)
        * size_ok
        * (0.6 if touches_edge else 1.0)
        * (0.85 if "split" in region.flags else 1.0)
    )
    tools = next((int(f[6:]) for f in region.flags if f.startswith("tools=")), 1)
    flags = tuple(f for f in region.flags if not f.startswith("tools=") and f != "maybe_several")
    fitted = turned.of_points(xs, ys, size, scale=scale, axis=box)
    return Proposal(
        box=box,
        confidence=round(confidence, 3),
        area=int(area * sx * sy),
        flags=flags,
        tools=tools,
        maybe_several="maybe_several" in region.flags,
        turned_box=fitted if turned.angle_of(fitted) else None,
    )


def refine_with_model(
    proposals: list[Proposal], probs: np.ndarray, *, min_top: float = 0.15
) -> list[Proposal]:
    """Use the classifier's probabilities (one row per proposal) to judge the boxes.

    The model was trained on one tool per crop, always a tool; it has no "background" class,
    and on the synthetic kit set it cannot tell much (docs/kits.md): boxes holding no whole
    tool (a fragment, a shadow) get a median top probability of 0.61, boxes holding exactly
    one tool 0.51 (a quarter below 0.29), boxes holding two 0.32; bare table crops 0.16-0.29.
    So by default it drops only a crop the model sees nothing at all in (top < 0.15: costs
    0.6 points of recall), and flags a box where two classes are both well above the rest
    as maybe holding two tools (measured: it fired on 1 of 33 two-tool boxes and on 15 of 286
    one-tool boxes, so it is no detector; shown to the user as a hint at most).
    Two tools of the same type in one box look like one confident tool.
    """
    refined = []
    for proposal, p in zip(proposals, np.asarray(probs), strict=True):
        order = np.argsort(p)[::-1]
        top, second = float(p[order[0]]), float(p[order[1]])
        if top < min_top:
            continue
        flags = proposal.flags
        if second >= 0.25 and second >= 0.5 * top:
            flags = flags + ("maybe_two_tools",)
        refined.append(
            Proposal(
                proposal.box,
                round(proposal.confidence * (0.5 + 0.5 * top), 3),
                proposal.area,
                flags,
                proposal.tools,
                proposal.maybe_several,
                proposal.turned_box,
            )
        )
    return refined


def _border_mask(h: int, w: int) -> np.ndarray:
    band = max(2, round(BORDER * min(h, w)))
    border = np.zeros((h, w), dtype=bool)
    border[:band] = border[-band:] = True
    border[:, :band] = border[:, -band:] = True
    return border


def _robust_sigma(values: np.ndarray) -> float:
    if values.size == 0:
        return 1.0
    med = np.median(values)
    return float(1.4826 * np.median(np.abs(values - med)) + 1e-6)


def _disc(radius: int) -> np.ndarray:
    y, x = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return x * x + y * y <= radius * radius
