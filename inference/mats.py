"""Kit mats: a printed shadow board seen by a camera.

A mat is a sheet (A3 or A2, landscape) with ArUco markers at its corners and along its edges,
one outline (slot) per tool, and a QR code naming the template and version. From a photo:
markers -> homography (photo -> mat millimetres) -> the mat straightened ("rectified") ->
each slot judged (present / empty, and what the model sees in it) and anything lying outside
the slots found. Pure functions over bytes and arrays; the crib's data lives in toolcrib/mats.
Figures (synthetic set): docs/mats.md.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import cv2
import numpy as np
import zxingcpp
from PIL import Image

from .preprocess import decode_small, oriented_size, pad_and_resize
from .runtime import Model
from .similarity import l2_normalise

# Paper sizes, landscape, in mm.
PAPERS = {"A3": (420.0, 297.0), "A2": (594.0, 420.0)}
EDGE_MM = 10.0  # white margin a printer may not reach
MARKER_MM = 25.0  # side of a marker, its black border included
MARKER_GAP_MM = 95.0  # at most this far between marker centres along an edge
INNER_MM = EDGE_MM + MARKER_MM + 6.0  # slots start this far inside the paper
TITLE_MM = 12.0  # strip at the top of the inner area: kit name, version, scale bar
CODE_MM = 34.0  # the QR code's square (quiet zone included), inner bottom-right corner
DICTIONARY = cv2.aruco.DICT_4X4_50
# Each paper has its own marker ids, so the markers alone say which layout is in the photo.
FIRST_ID = {"A3": 0, "A2": 20}
CODE_PREFIX = "TCM1"

PX_PER_MM = 2.0  # rectified mat: enough to tell paper from tool, cheap to scan
CROP_PX_PER_MM = 3.0  # canonical slot crops for the model (it sees 112 px anyway)
DETECT_SIDE = 1000  # markers are looked for on a copy this wide
WORK_SIDE = 2000  # photos are decoded to about this longer side (JPEG draft: 12 MP -> 1/2)
MIN_MARKERS = 3
MAX_RESIDUAL_MM = 1.2  # a marker this far (mean of its corners) from the fitted layout is off
MIN_SHARPNESS = 20.0  # sharpness() below this: blurred (synthetic: sharp ~170, blur sigma 5 px ~25)

PRESENT = 0.04  # fraction of a slot's inside covered by something that is not bare mat
SPILL_MM = 10.0  # length of the strips beyond each slot's ends where a too-long tool shows
FOREIGN_MM2 = 300.0  # an object outside the slots at least this big (about 17 x 17 mm)


class MatError(ValueError):
    """A photo that cannot be read as a mat; the message says what to do."""


Point = tuple[float, float]


@dataclass(frozen=True)
class Slot:
    """One tool's place on the mat: its outline (mm, y down from the top-left corner), the
    direction of the tool's long axis (degrees, counter-clockwise from +x in the picture), and
    what belongs there."""

    label: str
    tool_type: str
    outline: tuple[Point, ...]
    angle: float = 0.0
    tool_instance: str = ""

    @property
    def centre(self) -> Point:
        xs, ys = zip(*self.outline)
        return (sum(xs) / len(xs), sum(ys) / len(ys))

    def extent(self) -> tuple[float, float]:
        """Length and width of the outline along and across the tool's axis (mm)."""
        u, v = _slot_frame(self)
        return float(u.max() - u.min()), float(v.max() - v.min())


def _slot_frame(slot: Slot) -> tuple[np.ndarray, np.ndarray]:
    """The outline's points in the slot's own axes (u along the tool, v across)."""
    pts = np.asarray(slot.outline, np.float64) - slot.centre
    a = math.radians(slot.angle)
    # y grows downwards, so a counter-clockwise angle on the page is -a in these coordinates.
    ux, uy = math.cos(a), -math.sin(a)
    return pts @ np.array([ux, uy]), pts @ np.array([-uy, ux])


def rectangle(cx: float, cy: float, length: float, width: float, angle: float) -> tuple:
    """The outline of a rectangular slot centred at (cx, cy) mm, its length along `angle`."""
    a = math.radians(angle)
    ux, uy = math.cos(a), -math.sin(a)
    vx, vy = -uy, ux
    return tuple(
        (round(cx + su * length / 2 * ux + sv * width / 2 * vx, 2),
         round(cy + su * length / 2 * uy + sv * width / 2 * vy, 2))
        for su, sv in ((-1, -1), (1, -1), (1, 1), (-1, 1))
    )  # fmt: skip


@dataclass(frozen=True)
class Template:
    name: str
    version: int
    paper: str
    slots: tuple[Slot, ...]
    code: str = ""  # what the printed QR code says (see code_text)

    @property
    def size(self) -> tuple[float, float]:
        return PAPERS[self.paper]


def code_text(installation: str, template_id: int, version: int) -> str:
    """The QR code's text: which installation printed the mat, which template and version."""
    return f"{CODE_PREFIX}-{installation.upper()}-{template_id}-{version}"


@dataclass(frozen=True)
class MatCode:
    installation: str
    template_id: int
    version: int


def parse_code(text: str) -> MatCode | None:
    parts = text.strip().split("-")
    if len(parts) != 4 or parts[0] != CODE_PREFIX:
        return None
    try:
        return MatCode(parts[1], int(parts[2]), int(parts[3]))
    except ValueError:
        return None


# --- layout -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Marker:
    id: int
    x: float  # top-left corner, mm
    y: float

    def corners(self) -> np.ndarray:
        """The four corners in ArUco's order (clockwise from top-left), mm."""
        s = MARKER_MM
        return np.array(
            [[self.x, self.y], [self.x + s, self.y], [self.x + s, self.y + s], [self.x, self.y + s]]
        )


def _positions(length: float) -> list[float]:
    """Where markers go along an edge of `length` mm: both ends and evenly between."""
    first, last = EDGE_MM, length - EDGE_MM - MARKER_MM
    n = max(1, math.ceil((last - first) / MARKER_GAP_MM))
    return [first + (last - first) * i / n for i in range(n + 1)]


def markers(paper: str) -> list[Marker]:
    """The markers of a paper size: corners and along the edges, clockwise from top-left."""
    w, h = PAPERS[paper]
    xs, ys = _positions(w), _positions(h)
    spots = (
        [(x, ys[0]) for x in xs]
        + [(xs[-1], y) for y in ys[1:]]
        + [(x, ys[-1]) for x in reversed(xs[:-1])]
        + [(xs[0], y) for y in reversed(ys[1:-1])]
    )
    return [Marker(FIRST_ID[paper] + i, x, y) for i, (x, y) in enumerate(spots)]


def inner_area(paper: str) -> tuple[float, float, float, float]:
    """Where slots may lie (x0, y0, x1, y1 mm): inside the markers, below the title strip."""
    w, h = PAPERS[paper]
    return (INNER_MM, INNER_MM + TITLE_MM, w - INNER_MM, h - INNER_MM)


def code_square(paper: str) -> tuple[float, float, float, float]:
    """The QR code's square (x0, y0, x1, y1 mm), quiet zone included."""
    w, h = PAPERS[paper]
    return (w - INNER_MM - CODE_MM, h - INNER_MM - CODE_MM, w - INNER_MM, h - INNER_MM)


def label_box(slot: Slot) -> tuple[float, float, float, float]:
    """Where the slot's label is printed (mm): a strip at its centre, along the page."""
    cx, cy = slot.centre
    return (cx - 28.0, cy - 4.0, cx + 28.0, cy + 4.0)


def marker_bits(marker_id: int) -> np.ndarray:
    """The marker's cells, 6 x 6 with its black border; True is black."""
    dictionary = cv2.aruco.getPredefinedDictionary(DICTIONARY)
    return cv2.aruco.generateImageMarker(dictionary, marker_id, 6) == 0


def code_modules(text: str) -> np.ndarray:
    """The QR code's modules (True is black), without quiet zone."""
    symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = np.asarray(symbol.to_image(scale=1, add_quiet_zones=False))
    return image < 128


def check_slots(template: Template) -> list[str]:
    """What is wrong with a template's slots, in words (empty when it can be printed)."""
    x0, y0, x1, y1 = inner_area(template.paper)
    problems = []
    for slot in template.slots:
        xs, ys = zip(*slot.outline)
        if len(slot.outline) < 3:
            problems.append(f"Slot {slot.label} needs at least three corners.")
        elif min(xs) < x0 - 0.5 or max(xs) > x1 + 0.5 or min(ys) < y0 - 0.5 or max(ys) > y1 + 0.5:
            problems.append(
                f"Slot {slot.label} reaches outside the mat's free area "
                f"({x0:.0f}-{x1:.0f} x {y0:.0f}-{y1:.0f} mm on {template.paper})."
            )
    return problems


# --- reading a photo --------------------------------------------------------------------------


@dataclass
class MatView:
    """A photo of a mat, understood: which paper, where its markers are, what its code says."""

    paper: str
    to_mat: np.ndarray  # 3x3 homography: work-image pixels -> mat mm
    work: np.ndarray  # the photo decoded at about WORK_SIDE, RGB uint8
    scale: float  # original photo pixels per work-image pixel
    photo_size: tuple[int, int]  # original (after EXIF orientation)
    markers_seen: list[int]
    markers_expected: int
    code: str | None
    residual_mm: float
    _rectified: np.ndarray | None = field(default=None, repr=False)

    def rectified(self) -> np.ndarray:
        """The mat straightened: RGB at PX_PER_MM, the paper's top-left at (0, 0)."""
        if self._rectified is None:
            w, h = PAPERS[self.paper]
            m = np.diag([PX_PER_MM, PX_PER_MM, 1.0]) @ self.to_mat
            self._rectified = cv2.warpPerspective(
                self.work, m, (round(w * PX_PER_MM), round(h * PX_PER_MM)), flags=cv2.INTER_AREA
            )
        return self._rectified

    def photo_box(self, outline: tuple[Point, ...]) -> tuple[int, int, int, int]:
        """The box (original photo pixels) around an outline given in mm."""
        pts = cv2.perspectiveTransform(
            np.asarray(outline, np.float64).reshape(-1, 1, 2), np.linalg.inv(self.to_mat)
        ).reshape(-1, 2)
        pts = pts * self.scale
        w, h = self.photo_size
        x0, y0 = np.floor(pts.min(0)).astype(int)
        x1, y1 = np.ceil(pts.max(0)).astype(int)
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        return (int(x0), int(y0), int(max(x1, x0 + 1)), int(max(y1, y0 + 1)))


def decode(data: bytes, work_side: int = WORK_SIDE) -> tuple[np.ndarray, float, tuple[int, int]]:
    """Photo bytes -> (RGB at about work_side, original pixels per work pixel, original size)."""
    image: Image.Image
    try:
        image = Image.open(io.BytesIO(data))
        turned = oriented_size(image)
        image = decode_small(image, work_side)
    except Exception as e:  # Pillow raises many kinds for a broken file
        raise MatError("The photo could not be read as an image: take it again.") from e
    if max(image.size) > work_side * 1.05:
        f = work_side / max(image.size)
        size = (round(image.width * f), round(image.height * f))
        image = image.resize(size, Image.Resampling.BILINEAR)
    return np.asarray(image), turned[0] / image.width, turned


def _detector() -> cv2.aruco.ArucoDetector:
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    return cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(DICTIONARY), params)


def find_markers(gray: np.ndarray, detect_side: int = DETECT_SIDE) -> dict[int, np.ndarray]:
    """Marker id -> its four corners (pixels), for every known marker in a greyscale image.
    Found on a copy about detect_side wide (3x faster than at 2000 px, markers are still
    30+ px), then the corners are refined on the full image."""
    f = min(1.0, detect_side / max(gray.shape))
    small = gray if f == 1.0 else cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    corners, ids, _ = _detector().detectMarkers(small)
    if ids is None:
        return {}
    points = (np.concatenate(corners).reshape(-1, 1, 2) / f).astype(np.float32)
    if f < 1.0:
        window = max(2, round(1.5 / f))
        criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.05)
        points = cv2.cornerSubPix(gray, points, (window, window), (-1, -1), criteria)
    points = points.reshape(-1, 4, 2)
    return {int(i): c for i, c in zip(ids.ravel(), points)}


def sharpness(gray: np.ndarray) -> float:
    """Mean gradient energy of the strongest edges: low for a blurred photo."""
    g = gray if max(gray.shape) <= 1000 else cv2.resize(gray, None, fx=0.5, fy=0.5)
    lap = np.abs(cv2.Laplacian(g.astype(np.float32), cv2.CV_32F))
    return float(np.percentile(lap, 99.5))


def _paper_of(found: dict[int, np.ndarray]) -> str | None:
    counts = {
        paper: sum(1 for m in markers(paper) if m.id in found) for paper in PAPERS
    }  # fmt: skip
    paper = max(counts, key=lambda p: counts[p])
    return paper if counts[paper] else None


def read_mat(data: bytes, *, work_side: int = WORK_SIDE) -> MatView:
    """Find the mat in a photo: markers, homography, code. MatError says what to do otherwise."""
    work, scale, size = decode(data, work_side)
    gray = cv2.cvtColor(work, cv2.COLOR_RGB2GRAY)
    found = find_markers(gray)
    paper = _paper_of(found)
    layout = markers(paper) if paper else []
    seen = [m for m in layout if m.id in found]
    if len(seen) < MIN_MARKERS and sharpness(gray) < MIN_SHARPNESS:
        raise MatError("The photo is blurred: hold the camera still and take it again.")
    if paper is None:
        raise MatError(
            "No mat markers in this photo: photograph the whole kit mat, its corners included, "
            "or use the free layout for tools without a mat."
        )
    if len(seen) < MIN_MARKERS:
        raise MatError(
            f"Only {len(seen)} of the mat's {len(layout)} markers can be seen (at least "
            f"{MIN_MARKERS} are needed): show the mat's corners and edges, uncovered, and retake."
        )
    image_pts = np.concatenate([found[m.id] for m in seen]).astype(np.float64)
    mat_pts = np.concatenate([m.corners() for m in seen])
    to_mat, _ = cv2.findHomography(image_pts, mat_pts, cv2.RANSAC, 1.0)  # mm
    if to_mat is None:
        raise MatError("The mat's markers could not be put together: retake from straighter on.")
    projected = cv2.perspectiveTransform(image_pts.reshape(-1, 1, 2), to_mat).reshape(-1, 2)
    per_marker = np.linalg.norm(projected - mat_pts, axis=1).reshape(-1, 4).mean(axis=1)
    residual = float(np.median(per_marker))
    off = int((per_marker > MAX_RESIDUAL_MM).sum())
    # No single plane view puts them so: a stretched print, misaligned tiles, another layout.
    # (A print scaled evenly in both directions keeps the layout's shape: see docs/mats.md.)
    if residual > MAX_RESIDUAL_MM or (off >= 2 and off >= 0.2 * len(seen)):
        raise MatError(
            f"{off} of the {len(seen)} markers seen are not where this mat's layout puts them: "
            "the mat was printed at the wrong scale or its tiles are misaligned. Print it at "
            "100 % (actual size), tape the tiles edge to edge along the marks, and retake."
        )
    view = MatView(
        paper=paper,
        to_mat=to_mat,
        work=work,
        scale=scale,
        photo_size=size,
        markers_seen=[m.id for m in seen],
        markers_expected=len(layout),
        code=None,
        residual_mm=residual,
    )
    view.code = read_code(view)
    if view.code is None:
        if _marker_sharpness(view) < MIN_SHARPNESS:
            raise MatError("The photo is blurred: hold the camera still and take it again.")
        raise MatError(
            "The mat's code (bottom-right corner) could not be read: make sure it is in the "
            "photo, lit and not covered, and retake."
        )
    return view


def _warp_region(view: MatView, box: tuple[float, ...], px_per_mm: float) -> np.ndarray:
    x0, y0, x1, y1 = box
    m = np.array([[px_per_mm, 0, -x0 * px_per_mm], [0, px_per_mm, -y0 * px_per_mm], [0, 0, 1]])
    size = (round((x1 - x0) * px_per_mm), round((y1 - y0) * px_per_mm))
    return cv2.warpPerspective(view.work, m @ view.to_mat, size, flags=cv2.INTER_LINEAR)


def read_code(view: MatView) -> str | None:
    """The text of the mat's QR code, read from its square straightened at 8 px/mm."""
    x0, y0, x1, y1 = code_square(view.paper)
    region = _warp_region(view, (x0 - 4, y0 - 4, x1 + 4, y1 + 4), 8.0)
    qr = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    for found in zxingcpp.read_barcodes(region, formats=qr):
        if found.text.startswith(CODE_PREFIX):
            return found.text
    return None


def _marker_sharpness(view: MatView) -> float:
    region = _warp_region(view, (0, 0, *PAPERS[view.paper]), 2.0)
    return sharpness(cv2.cvtColor(region, cv2.COLOR_RGB2GRAY))


# --- judging the slots ------------------------------------------------------------------------


def _printed_mask(template: Template, shape: tuple[int, int]) -> np.ndarray:
    """Where the mat itself has ink (outlines, labels, title, markers, code): True."""
    mask = np.zeros(shape, np.uint8)
    s = PX_PER_MM

    def rect(x0: float, y0: float, x1: float, y1: float) -> None:
        cv2.rectangle(mask, (int(x0 * s), int(y0 * s)), (int(math.ceil(x1 * s)), int(math.ceil(y1 * s))), 1, -1)  # fmt: skip

    for m in markers(template.paper):
        rect(m.x - 3, m.y - 3, m.x + MARKER_MM + 3, m.y + MARKER_MM + 3)
    x0, y0, x1, _ = inner_area(template.paper)
    rect(x0 - 2, y0 - TITLE_MM - 2, x1 + 2, y0)
    rect(*np.add(code_square(template.paper), (-2, -2, 2, 2)))
    for slot in template.slots:
        pts = (np.asarray(slot.outline) * s).round().astype(np.int32)
        cv2.polylines(mask, [pts], True, 1, thickness=max(1, round(7.0 * s)))
        rect(*label_box(slot))
    return mask.astype(bool)


def occupied(rectified: np.ndarray) -> np.ndarray:
    """What on the straightened mat is not bare paper: dark, coloured, or textured (True).

    Lighting is taken out first: the paper's own brightness is estimated by a grey closing
    wider than a tool, so gradients, soft shadows and glare change the ratio little while a
    tool's dark metal, coloured handle or edges stand out."""
    gray = cv2.cvtColor(rectified, cv2.COLOR_RGB2GRAY).astype(np.float32)
    small = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (61, 61))  # ~60 mm at 1 px/mm
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, k)
    paper = cv2.GaussianBlur(paper, (0, 0), 6)
    paper = np.maximum(cv2.resize(paper, gray.shape[::-1], interpolation=cv2.INTER_LINEAR), 8.0)
    ratio = gray / paper
    r, g, b = cv2.split(rectified)
    spread = cv2.max(cv2.max(r, g), b) - cv2.min(cv2.min(r, g), b)
    chroma = spread.astype(np.float32) / paper
    smooth = cv2.GaussianBlur(ratio, (0, 0), 1.0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    edges = np.hypot(gx, gy) > 0.35
    raw = ((ratio < 0.7) | (chroma > 0.2) | edges).astype(np.uint8)
    closed = cv2.morphologyEx(raw, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    return cv2.morphologyEx(closed, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)).astype(bool)


@dataclass
class SlotSeen:
    slot: Slot
    presence: float  # fraction of the slot's inside covered (0..1)
    present: bool
    photo_box: tuple[int, int, int, int]  # around the slot, original photo pixels
    spill: float = 0.0  # covered share of the strips beyond the slot's ends: a tool too long


@dataclass
class Foreign:
    box_mm: tuple[float, float, float, float]
    area_mm2: float


@dataclass
class MatLook:
    slots: list[SlotSeen]
    foreign: list[Foreign]


def look(view: MatView, template: Template) -> MatLook:
    """Each slot: present or empty; and objects lying outside every slot."""
    rectified = view.rectified()
    busy = occupied(rectified)
    printed = _printed_mask(template, busy.shape)
    s = PX_PER_MM
    seen = []
    claimed = np.zeros(busy.shape, np.uint8)
    outlines = [(np.asarray(slot.outline) * s).round().astype(np.int32) for slot in template.slots]
    interiors = np.zeros(busy.shape, np.uint8)
    cv2.fillPoly(interiors, outlines, 1)
    for slot, pts in zip(template.slots, outlines):
        inside = np.zeros(busy.shape, np.uint8)
        cv2.fillPoly(inside, [pts], 1)
        band = np.zeros(busy.shape, np.uint8)
        cv2.fillPoly(band, _end_bands(slot, s), 1)
        cv2.polylines(claimed, [pts], True, 1, thickness=round(16 * s))
        cv2.fillPoly(claimed, [pts], 1)
        inside = inside.astype(bool) & ~printed
        band = band.astype(bool) & ~interiors.astype(bool) & ~printed
        presence = float(busy[inside].mean()) if inside.any() else 0.0
        spill = float(busy[band].mean()) if band.any() else 0.0
        seen.append(
            SlotSeen(
                slot,
                round(presence, 4),
                presence >= PRESENT,
                view.photo_box(slot.outline),
                round(spill, 4),
            )  # fmt: skip
        )
    x0, y0, x1, y1 = (round(v * s) for v in inner_area(template.paper))
    area = np.zeros(busy.shape, bool)
    area[y0 - round(TITLE_MM * s) : y1, x0:x1] = True
    loose = (busy & area & ~printed & ~claimed.astype(bool)).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(loose, connectivity=8)
    foreign = []
    for i in range(1, n):
        x, y, w, h, a = stats[i]
        if a / (s * s) >= FOREIGN_MM2:
            foreign.append(Foreign((x / s, y / s, (x + w) / s, (y + h) / s), a / (s * s)))
    return MatLook(seen, foreign)


# A print scaled evenly ("fit to page") keeps the layout's shape, so the markers cannot tell it
# from a mat farther away; the tools can: they keep their size while the outlines shrink, so
# each covers more of its slot (about 1/scale: the tool's width; its length runs past the ends).
# Limits chosen on the synthetic set (bench/mats.py): true-size prints read 1.00-1.03 (a
# return photo's uneven light finds a little less of each tool than the design photo did).
SCALE_LIMITS = (0.96, 1.06)
MIN_SCALE_SLOTS = 3  # filled slots with a design presence, needed to judge the scale


def print_scale(seen: list[SlotSeen], design_presence: list[float | None]) -> float | None:
    """The print's scale as the tools show it: 1 / the median over filled slots of how much
    more of its slot the tool covers than at design (1.0 at true size, about 0.94 printed
    "fit to page" on a printer with margins); None where too few slots say it."""
    ratios = [s.presence / d for s, d in zip(seen, design_presence) if s.present and d]
    return 1 / float(np.median(ratios)) if len(ratios) >= MIN_SCALE_SLOTS else None


def check_scale(scale: float | None) -> None:
    """MatError when the print looks evenly scaled beyond SCALE_LIMITS: what to do about it."""
    if scale is not None and not SCALE_LIMITS[0] <= scale <= SCALE_LIMITS[1]:
        raise MatError(
            f"This mat seems printed at about {scale * 100:.0f} % of its size: the tools are "
            f"{'larger' if scale < 1 else 'smaller'} than their outlines. Print it again at "
            '100 % ("actual size", not "fit to page") and lay the kit on the new print.'
        )


def _end_bands(slot: Slot, px_per_mm: float) -> list[np.ndarray]:
    """The two strips SPILL_MM long beyond the slot's ends, as wide as the slot (pixels): a
    tool longer than the slot's own sticks out there; a tool merely pushed or turned a little
    in its outline does not."""
    u, v = _slot_frame(slot)
    cx, cy = slot.centre
    a = math.radians(slot.angle)
    ux, uy, vx, vy = math.cos(a), -math.sin(a), math.sin(a), math.cos(a)
    bands = []
    for u0, u1 in ((u.max(), u.max() + SPILL_MM), (u.min() - SPILL_MM, u.min())):
        corners = [(u0, v.min()), (u1, v.min()), (u1, v.max()), (u0, v.max())]
        pts = [(cx + p * ux + q * vx, cy + p * uy + q * vy) for p, q in corners]
        bands.append((np.asarray(pts) * px_per_mm).round().astype(np.int32))
    return bands


def slot_model_inputs(view: MatView, slots: list[Slot]) -> np.ndarray:
    """The model's input for each slot: its outline cut from the photo and turned so the tool's
    axis lies along x (the slot knows the tool's orientation), padded and resized: [n,112,112,3]."""
    out = []
    p = CROP_PX_PER_MM
    for slot in slots:
        u, v = _slot_frame(slot)
        length, width = u.max() - u.min(), v.max() - v.min()
        cx, cy = slot.centre
        a = math.radians(slot.angle)
        ux, uy = math.cos(a), -math.sin(a)
        vx, vy = -uy, ux
        # crop pixel (i, j) -> mat mm: centre + (i/p + u0) * u_axis + (j/p + v0) * v_axis
        u0, v0 = u.min(), v.min()
        crop_to_mat = np.array(
            [
                [ux / p, vx / p, cx + u0 * ux + v0 * vx],
                [uy / p, vy / p, cy + u0 * uy + v0 * vy],
                [0, 0, 1],
            ]
        )
        m = np.linalg.inv(view.to_mat) @ crop_to_mat  # crop -> work pixels
        size = (max(2, round(length * p)), max(2, round(width * p)))
        crop = cv2.warpPerspective(view.work, m, size, flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP)
        out.append(pad_and_resize(Image.fromarray(crop)))
    return np.stack(out) if out else np.zeros((0, 112, 112, 3), np.uint8)


def slot_model_outputs(model: Model, inputs: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """Class probabilities and unit features of the slots' model inputs. A tool may lie head to
    the left or to the right in its slot: both half turns go through the model, averaged."""
    if not len(inputs):
        return None, np.zeros((0, 512), np.float32)
    batch = np.concatenate([inputs, np.rot90(inputs, 2, axes=(1, 2))])
    p, feature = model.run(np.ascontiguousarray(batch))
    n = len(inputs)
    f = l2_normalise(l2_normalise(feature).reshape(2, n, -1).mean(axis=0))
    return (None if p is None else p.reshape(2, n, -1).mean(axis=0)), f


# --- the verdict on each slot -------------------------------------------------------------------

SURE = 0.5  # class probability at which the model's type is taken as what it sees
# Chosen on a synthetic tuning set (bench/mat_photos.py, seeds 0-1), measured on another seed:
MATCH_MIN = 70.0  # match % with the slot's reference below which the tool is not the one laid there
OTHER_MARGIN = 8.0  # ...or when it matches another type's reference this much better than its own
# A tool of another size than the slot's: covers a different share of it than at design, or
# sticks out of it (spill beyond the design's).
PRESENCE_RATIO = (0.55, 1.45)
SPILL_MAX = 0.15


@dataclass
class SlotJudgement:
    slot: Slot
    state: str  # "present", "empty" or "wrong"
    presence: float
    photo_box: tuple[int, int, int, int]
    seen_class: int | None = None  # the model's class index, when it is sure of one
    seen_probability: float = 0.0
    match_percent: float | None = None  # against the slot's reference crop, when it has one
    looks_like: int | None = None  # index of the slot whose reference it matches best


def judge(
    seen: list[SlotSeen],
    p: np.ndarray | None,
    features: np.ndarray,
    expected_classes: list[int | None],
    references: list[np.ndarray | None],
    designs: list[tuple[float, float] | None] | None = None,
) -> list[SlotJudgement]:
    """Each slot's state. `p` and `features` are for the present slots only, in order;
    `expected_classes` and `references` for every slot (None where unknown).

    Empty: nothing covers the slot. Wrong, where the slot has a reference (the tool as laid
    at design): the crop matches it below MATCH_MIN, or matches the reference of a slot of
    another type OTHER_MARGIN better (the tool is that one). Without a reference: the model
    is sure of another type than the slot's. Also wrong, where the slot's (presence, spill) on
    the design photo is known: a share of the slot covered outside PRESENCE_RATIO times the
    design's, or a spill SPILL_MAX above it (a longer or shorter tool). Also wrong: the half of
    a swap whose tool matches the other half's reference better than its own (see below).
    Present otherwise."""
    have = [i for i, r in enumerate(references) if r is not None]
    refs = np.stack([r for r in references if r is not None]) if have else None
    out = []
    leaning: dict[int, int] = {}  # slot -> the other type's slot it matches better than its own
    k = 0
    for i, s in enumerate(seen):
        if not s.present:
            out.append(SlotJudgement(s.slot, "empty", s.presence, s.photo_box))
            continue
        seen_class, prob, match, like = None, 0.0, None, None
        if p is not None:
            c = int(np.argmax(p[k]))
            prob = float(p[k, c])
            seen_class = c if prob >= SURE else None
        if refs is not None and references[i] is not None and len(features):
            sims = (refs @ features[k] + 1) / 2 * 100
            own = float(sims[have.index(i)])
            match = round(own, 2)
            others = [
                (float(sims[j]), have[j])
                for j in range(len(have))
                if seen[have[j]].slot.tool_type != s.slot.tool_type
            ]
            best, like = max(others) if others else (0.0, None)
            wrong = own < MATCH_MIN or best > own + OTHER_MARGIN
            if like is not None and best > own:
                leaning[i] = like
            like = like if wrong else i
        else:
            expected = expected_classes[i]
            wrong = seen_class is not None and expected is not None and seen_class != expected
        design = designs[i] if designs else None
        if design is not None and design[0] > 0:
            ratio = s.presence / design[0]
            wrong = wrong or not (PRESENCE_RATIO[0] <= ratio <= PRESENCE_RATIO[1])
            wrong = wrong or s.spill - design[1] > SPILL_MAX
        k += 1
        out.append(
            SlotJudgement(
                s.slot,
                "wrong" if wrong else "present",
                s.presence,
                s.photo_box,
                seen_class,
                round(prob, 4),
                match,
                like,
            )  # fmt: skip
        )
    # Two tools swapped: a slot whose tool matches another type's slot a little better than
    # its own (under OTHER_MARGIN) is wrong when that slot's tool is wrong and looks like this
    # slot's type. Each half of a swap backs the other (bench/mats.py: two similar screwdrivers).
    for i, j in leaning.items():
        if out[i].state == "present" and out[j].state == "wrong":
            back = out[j].looks_like
            if back is not None and seen[back].slot.tool_type == seen[i].slot.tool_type:
                out[i].state, out[i].looks_like = "wrong", j
    return out


# --- proposing slots from a design photo ------------------------------------------------------

JOIN_MM = 6.0  # parts of one tool closer than this are one tool (a finger's width apart: two)


@dataclass(frozen=True)
class Proposed:
    centre: Point  # mm
    length: float  # along the tool's axis, mm (the tool itself, no margin)
    width: float
    angle: float  # degrees, counter-clockwise from +x on the page, 0-180


def propose(view: MatView) -> list[Proposed]:
    """One rectangle per tool lying on the (blank) mat: what is not bare paper inside the slot
    area, parts closer than JOIN_MM joined, each region's minimal turned rectangle."""
    blank = Template("", 0, view.paper, ())
    rectified = view.rectified()
    busy = occupied(rectified) & ~_printed_mask(blank, rectified.shape[:2])
    s = PX_PER_MM
    x0, y0, x1, y1 = (round(v * s) for v in inner_area(view.paper))
    area = np.zeros(busy.shape, np.uint8)
    area[y0:y1, x0:x1] = busy[y0:y1, x0:x1]
    k = round(JOIN_MM * s) | 1
    joined = cv2.morphologyEx(area, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    out = []
    for i in range(1, n):
        if stats[i, cv2.CC_STAT_AREA] / (s * s) < FOREIGN_MM2:
            continue
        ys, xs = np.nonzero((labels == i) & area.astype(bool))
        pts = (np.c_[xs, ys] / s).astype(np.float32)
        (cx, cy), (a, b), rot = cv2.minAreaRect(pts)
        # minAreaRect turns clockwise in image axes (y down): on the page that is minus rot.
        length, width, angle = (a, b, -rot) if a >= b else (b, a, -rot - 90)
        out.append(Proposed((float(cx), float(cy)), float(length), float(width), angle % 180))
    return sorted(out, key=lambda p: (round(p.centre[1] / 60), p.centre[0]))
