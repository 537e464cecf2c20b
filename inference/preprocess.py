"""Photo bytes -> 112x112 uint8 crops, exactly as the model was trained.

Recipe (models README): EXIF orientation applied, RGB, crop by the box, pad to a
square with 0 (crop centred), resize to 112x112 bicubic, uint8 HWC.

Decisions:
- Colour: every mode goes through ``convert("RGB")`` as training did. RGBA/LA are
  *not* composited: alpha is dropped and the stored colour is used, which is what
  the training code would have done with such a file. 16-bit greyscale is scaled
  to 8 bits first (Pillow's own conversion would clip it to white).
- Boxes are (x0, y0, x1, y1) in the pixel coordinates of the *oriented* image,
  rounded like ``Image.crop`` rounds. A box that is empty, inverted or reaches
  outside the image (even partly) is refused: the box editor clamps, so a box
  outside the image means the box belongs to another photo.
- Large JPEGs are decoded at 1/2, 1/4 or 1/8 scale (libjpeg DCT scaling, Pillow
  draft mode) when every box's longer side still has at least DRAFT_MIN_SIDE
  pixels after scaling. Measured on ../shared/photos upscaled to 4000x3000 the
  112x112 result differs from a full decode by DRAFT_TOLERANCE (mean absolute
  pixel difference, 0-255), see tests/inference/test_draft_decoding.py.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from . import config, turned

SIDE = 112
DRAFT_MIN_SIDE = 2 * SIDE
DRAFT_TOLERANCE = 2.0  # mean |draft - full| per 112x112x3 crop; measured max 1.71

Box = Sequence[float]


class PhotoError(ValueError):
    """The upload cannot be used as a photo; the message is fit to show to the user."""


@dataclass
class DecodedPhoto:
    """A photo's pixels in memory, oriented; maybe decoded at a reduced JPEG scale."""

    image: Image.Image  # oriented, possibly decoded at reduced scale, original mode
    size: tuple[int, int]  # full-resolution size of the oriented image
    scale: int  # 1 = full decode; 2, 4, 8 = JPEG draft scale
    origin: tuple[int, int] = (
        0,
        0,
    )  # where the reduced image's (0, 0) lies, in full-resolution pixels

    def model_input(self, box: Box) -> np.ndarray:
        """The model's input for one box (full-resolution coordinates): uint8 [112,112,3].
        A turned box is turned level first (docs/kits.md, "Turned boxes")."""
        box = check_box(box, self.size)  # in whole pixels, as Image.crop rounds
        if turned.angle_of(box):
            return pad_and_resize(self.level(box))
        if self.scale == 1:
            # Crop before converting: cheaper, and conversion is per pixel, so identical.
            return pad_and_resize(_to_rgb(self.image.crop(box)))
        ox, oy = self.origin
        return _reduced_crop(
            self.image, (box[0] - ox, box[1] - oy, box[2] - ox, box[3] - oy), self.scale
        )

    def level(self, box: Box) -> Image.Image:
        """A turned box's pixels turned level, as an RGB image (at the decoded scale)."""
        x0, y0, _, _ = bounds = _clipped(turned.bounds(box), self.size)
        region = self.region(bounds)
        s = self.scale
        cx, cy = ((box[0] + box[2]) / 2 - x0) / s, ((box[1] + box[3]) / 2 - y0) / s
        # PIL turns counter-clockwise as seen: the box's clockwise turn, undone.
        level = region.rotate(turned.angle_of(box), Image.Resampling.BICUBIC, center=(cx, cy))
        hw, hh = (box[2] - box[0]) / 2 / s, (box[3] - box[1]) / 2 / s
        return level.crop(
            (
                round(cx - hw),
                round(cy - hh),
                max(round(cx + hw), round(cx - hw) + 1),
                max(round(cy + hh), round(cy - hh) + 1),
            )
        )

    def region(self, box: Box) -> Image.Image:
        """The box's pixels as an RGB image, before padding (at the decoded scale); a turned
        box's bounds."""
        box = _clipped(turned.bounds(check_box(box, self.size)), self.size)
        ox, oy = self.origin
        x0, y0, x1, y1 = ((v - o) / self.scale for v, o in zip(box, (ox, oy, ox, oy)))
        reduced = (
            int(round(x0)),
            int(round(y0)),
            max(int(round(x1)), int(round(x0)) + 1),
            max(int(round(y1)), int(round(y0)) + 1),
        )
        return _to_rgb(self.image.crop(reduced))


def check_box(box: Box | None, size: tuple[int, int]) -> tuple:
    """The box in whole pixels (rounded as Image.crop rounds), its turn to a tenth of a degree
    (a box turned by 0 is given as four numbers), if it fits a photo of `size` (oriented);
    PhotoError, in words fit for the user, if not. The one box check: the crib's services use
    it too."""
    try:
        if box is None or len(box) not in (4, 5) or isinstance(box, (str, bytes)):
            raise TypeError
        x0, y0, x1, y1 = (int(round(v)) for v in box[:4])
        angle = turned.normal_angle(box[4]) if len(box) == 5 else 0.0
        if not np.isfinite(angle):
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise PhotoError(
            f"A box is four whole numbers x0, y0, x1, y1, or five with the turn in degrees "
            f"last; got {box!r}."
        ) from None
    w, h = size
    if x1 <= x0 or y1 <= y0:
        raise PhotoError(
            f"Box {list(box)} is empty or inverted: x1 must exceed x0 and y1 exceed y0."
        )
    checked = turned.plain((x0, y0, x1, y1, angle))
    if angle == 0:
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
            raise PhotoError(f"Box {list(box)} lies outside the photo ({w}x{h}).")
        return checked
    if not turned.fits(checked, size):
        raise PhotoError(f"Box {list(box)}, turned, lies outside the photo ({w}x{h}).")
    return checked


def _clipped(box: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    return (max(0, x0), max(0, y0), min(size[0], x1), min(size[1], y1))


def _draft_scale(size: tuple[int, int], boxes: Iterable[Box]) -> int:
    longest = min((max(b[2] - b[0], b[3] - b[1]) for b in boxes), default=max(size))
    # (a turned box's own sides: its bounds are larger, so the draft is never coarser)
    for s in (8, 4, 2):
        if longest / s >= DRAFT_MIN_SIDE:
            return s
    return 1


_ROTATES_AXES = {5, 6, 7, 8}  # EXIF orientations that swap width and height


def oriented_size(image: Image.Image) -> tuple[int, int]:
    """An opened photo's (width, height) as displayed, once its EXIF turn is applied; read
    from the header, nothing decoded."""
    w, h = image.size
    return (h, w) if image.getexif().get(0x0112, 1) in _ROTATES_AXES else (w, h)


def _reduced_origin(orientation: int, raw_size: tuple[int, int], scale: int) -> tuple[int, int]:
    """Where the oriented reduced image starts, in oriented full-resolution pixels.

    A reduced decode covers ceil(size / scale) * scale raw pixels: the extra (up to
    scale - 1) lies right of and below the raw image. Once an EXIF orientation
    mirrors an axis, that extra lies left of or above the photo instead.
    """
    w, h = raw_size
    extra_x, extra_y = -w % scale, -h % scale
    # Per orientation: (extra on the oriented left, extra on the oriented top).
    return {
        2: (extra_x, 0),
        3: (extra_x, extra_y),
        4: (0, extra_y),
        6: (extra_y, 0),
        7: (extra_y, extra_x),
        8: (0, extra_x),
    }.get(orientation, (0, 0))


def decode_small(image: Image.Image, side: int) -> Image.Image:
    """An opened photo decoded for a working copy about `side` pixels on its longer side: a JPEG
    at the smallest DCT scale that still gives that many (12 MP: several times faster than a
    whole decode), EXIF turn applied, RGB. The caller resizes the rest of the way."""
    shrink = side / max(image.size)
    if shrink < 1:
        image.draft("RGB", (math.ceil(image.width * shrink), math.ceil(image.height * shrink)))
    return ImageOps.exif_transpose(image).convert("RGB")


def open_photo(
    data: bytes,
    boxes: Sequence[Box] | None = None,
    *,
    draft: bool = True,
    max_pixels: int | None = None,
) -> DecodedPhoto:
    """Decode an upload; `boxes` None means the whole image will be used.

    A JPEG is decoded at a reduced scale when all boxes stay large enough
    (pass draft=False to always decode at full resolution).
    """
    if not data:
        raise PhotoError("The upload is empty.")
    limit = max_pixels or config.from_environ().max_photo_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data))
            w, h = image.size
            if w * h > limit:
                raise PhotoError(
                    f"The photo is {w}x{h} pixels; the limit is {limit / 1e6:g} megapixels."
                )
            orientation = image.getexif().get(0x0112, 1)
            size = oriented_size(image)
            for box in boxes or ():
                check_box(box, size)  # before any decoding: a wrong box costs nothing
            scale = 1
            if draft and image.format == "JPEG":
                wanted = _draft_scale(size, boxes or [whole_image(size)])
                drafted = image.draft(None, (w // wanted, h // wanted)) if wanted > 1 else None
                if drafted is not None:
                    scale = round(w / drafted[1][2])
            image.load()
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise PhotoError("The photo is too large to open safely.") from e
    except Image.UnidentifiedImageError as e:
        raise PhotoError(
            "The upload is not an image in a format we can read (JPEG, PNG, WEBP, ...)."
        ) from e
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise PhotoError(f"The photo is damaged or truncated and cannot be read ({e}).") from e
    origin = (0, 0)
    if orientation != 1:
        image = ImageOps.exif_transpose(image)
        ox, oy = _reduced_origin(orientation, (w, h), scale)
        origin = (-ox, -oy)
    return DecodedPhoto(image=image, size=size, scale=scale, origin=origin)


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode.startswith("I;16") or image.mode == "I":
        # 16-bit greyscale: keep the top 8 bits (Pillow's convert would clip at 255).
        a: np.ndarray = np.asarray(image, dtype=np.uint32)
        if image.mode.startswith("I;16") or a.max() > 255:
            a = a >> 8
        image = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")
    elif image.mode == "F":
        image = Image.fromarray(np.clip(np.asarray(image), 0, 255).astype(np.uint8), "L")
    return image if image.mode == "RGB" else image.convert("RGB")


def pad_and_resize(crop: Image.Image) -> np.ndarray:
    """Centre an RGB crop on a black square and resize it to 112x112 bicubic."""
    w, h = crop.size
    s = max(w, h)
    square = Image.new("RGB", (s, s), 0)
    square.paste(crop, ((s - w) // 2, (s - h) // 2))
    return np.asarray(square.resize((SIDE, SIDE), Image.Resampling.BICUBIC), dtype=np.uint8)


def _reduced_crop(image: Image.Image, box: tuple[int, int, int, int], scale: int) -> np.ndarray:
    """The same padded square as pad_and_resize, sampled from an image decoded at 1/scale.

    Cropping at whole reduced pixels would shift the tool by up to scale/2 full
    pixels; instead the square is resampled from its exact (fractional) place,
    and only the black padding's edge is snapped to the reduced pixel grid.
    """
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    side = max(w, h)
    # Integer region of the reduced image that covers the box.
    rx0, ry0 = int(np.floor(x0 / scale)), int(np.floor(y0 / scale))
    rx1 = min(int(np.ceil(x1 / scale)), image.size[0])
    ry1 = min(int(np.ceil(y1 / scale)), image.size[1])
    region = np.array(_to_rgb(image.crop((rx0, ry0, rx1, ry1))))
    # Black out what lies outside the box (as the full-resolution pad does).
    region[:, : int(round(x0 / scale)) - rx0] = 0
    region[:, int(round(x1 / scale)) - rx0 :] = 0
    region[: int(round(y0 / scale)) - ry0] = 0
    region[int(round(y1 / scale)) - ry0 :] = 0
    # Put it on a black canvas large enough to hold the whole square, then resample the square.
    pad = int(np.ceil(side / scale)) + 1
    canvas = Image.new("RGB", (region.shape[1] + 2 * pad, region.shape[0] + 2 * pad), 0)
    canvas.paste(Image.fromarray(region), (pad, pad))
    sx = (x0 - (side - w) // 2) / scale - rx0 + pad
    sy = (y0 - (side - h) // 2) / scale - ry0 + pad
    square = (sx, sy, sx + side / scale, sy + side / scale)
    return np.asarray(
        canvas.resize((SIDE, SIDE), Image.Resampling.BICUBIC, box=square), dtype=np.uint8
    )


def photo_model_inputs(photo: DecodedPhoto, boxes: Sequence[Box]) -> np.ndarray:
    """The model's input for each box: uint8 [n,112,112,3]."""
    out = np.empty((len(boxes), SIDE, SIDE, 3), np.uint8)
    for i, box in enumerate(boxes):
        out[i] = photo.model_input(box)
    return out


def whole_image(size: tuple[int, int]) -> tuple[int, int, int, int]:
    return (0, 0, size[0], size[1])


def model_inputs(
    data: bytes, boxes: Sequence[Box] | None = None, *, draft: bool = True
) -> np.ndarray:
    """Photo bytes + boxes -> uint8 [n,112,112,3]; the whole image when `boxes` is None/empty."""
    photo = open_photo(data, boxes or None, draft=draft)
    return photo_model_inputs(photo, boxes or [whole_image(photo.size)])
