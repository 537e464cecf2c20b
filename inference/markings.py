"""A tool's own marking: its 2-D code or barcode label, and its etched, engraved or printed number.

Codes are read by zxing-cpp (DataMatrix, QR, Code 128, Code 39). Text is read by RapidOCR 3.x
(PP-OCRv6 detection and recognition models inside its wheel, run on onnxruntime; OpenCV from
opencv-python-headless). Why this engine and version: docs/markings.md. A second recogniser,
PP-OCRv4 mobile (the model file inside the rapidocr-onnxruntime 1.4.4 wheel, run by the same
RapidOCR 3.x code), reads every number line again where the first one's looks disagree
(`second_recogniser`); without it the reader works with one.

Pure functions over RGB arrays (full-resolution crops, never the 112 px model input); nothing
here knows the crib. What a read *means* (this tool, another tool, nobody's) is the crib's rule:
toolcrib/crib/markings.py.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import turned
from .turned import Box

# The crib's inventory numbers, e.g. AT-288293-6 (the kit's lockwire pliers). A setting.
DEFAULT_PATTERNS = (r"[A-Z]{2}-\d{6}-\d",)
# A partial read must have at least this many characters to confirm anything. A setting.
DEFAULT_MIN_PARTIAL = 6
# Below this character height (px) the OCR misreads more than it reads (bench/markings.py,
# docs/markings.md): the line asks for a close-up instead.
READABLE_HEIGHT = 10.0
# The OCR's text-line box is taller than the capitals in it (the detector pads each line);
# character height = box height x this, fitted on the synthetic set (docs/markings.md).
HEIGHT_PER_BOX = 0.56
# A number whose first look is less sure than this is not named (fitted on the synthetic set:
# the one consistent misread there, an 8 px etched 5 read as 6, came at 0.88; right reads of
# the real pliers' number came at 0.93 and above).
MIN_CONFIDENCE = 0.9
# Where the first look finds no code, the crop is looked at again at these scales, in this
# order (cheapest first): only crops up to CODE_UPSCALE_PIXELS are enlarged, and no look is
# made at a scale where the crop's short side falls under CODE_MIN_SIDE px.
CODE_SCALES = (0.5, 0.75, 1.5, 2.0)
CODE_UPSCALE_PIXELS = 2_000_000
CODE_MIN_SIDE = 24
# Crops smaller than this (short side, px) are enlarged before reading; the detector's longest
# side is at most DETECT_SIDE.
MIN_SIDE = 320
DETECT_SIDE = 1600
# A line read less surely than this is read again turned half a turn, and the surer read is
# kept: the angle classifier leaves some small etched lines upside down (docs/markings.md).
TURN_CHECK_BELOW = 0.9
# Boxes of one photo read at once (each OCR run uses one core): the cores, at most 4.
READERS = max(1, min(4, os.cpu_count() or 1))

# Digit look-alikes that OCR confuses, mapped only inside runs that already hold a digit.
_LOOKALIKES = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5", "B": "8"})
_DASHES = re.compile(r"[\s\u2010-\u2015\u2212\uFE63\uFF0D_~.·:]+")
_RUNS = re.compile(r"[0-9OQDILSB]+")
_FRAGMENT = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")


class Source:
    OCR = "ocr"
    DATAMATRIX = "datamatrix"
    QR = "qr"
    BARCODE = "barcode"


@dataclass(frozen=True)
class Read:
    """One thing read off the tool: normalised text or a code's payload."""

    text: str
    source: str
    confidence: float
    box: Box | None = None  # where, in the pixels that were read
    char_height: float | None = None  # for text: estimated height of its characters, px


@dataclass
class Marking:
    """Everything read from one crop.

    `codes`: every code payload (a label is the crib's own, or foreign: the crib decides).
    `numbers`: text reads that fit one of the crib's patterns (well-formed numbers).
    `fragments`: text reads that fit no pattern but could be the tail of a number; they may
    confirm a tool, never name one, and are never shown as a number.
    `status`: read | unsure | partial | too_small | not_found | failed. `message` says it in words.
    """

    codes: list[Read] = field(default_factory=list)
    numbers: list[Read] = field(default_factory=list)
    fragments: list[Read] = field(default_factory=list)
    unsure: int = 0  # lines whose looks read different numbers: no number is named from them
    one_recogniser: bool = False  # text read without the second recogniser (missing)
    char_height: float | None = None
    status: str = "not_found"
    message: str = ""
    ms: float = 0.0

    @property
    def best(self) -> Read | None:
        """What to show as *the* reading: a code first (checksummed), then a well-formed number."""
        reads = self.codes or self.numbers
        return reads[0] if reads else None

    @property
    def wants_close_up(self) -> bool:
        return self.status in ("unsure", "too_small", "not_found", "partial")

    def to_dict(self) -> dict:
        """Plain JSON, to keep a reading with its photo (the crib's BoxMarking)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Marking:
        def reads(key: str) -> list[Read]:
            return [
                Read(**{**r, "box": tuple(r["box"]) if r.get("box") else None})
                for r in data.get(key, [])
            ]

        return cls(
            codes=reads("codes"),
            numbers=reads("numbers"),
            fragments=reads("fragments"),
            unsure=data.get("unsure", 0),
            one_recogniser=data.get("one_recogniser", False),
            char_height=data.get("char_height"),
            status=data.get("status", "not_found"),
            message=data.get("message", ""),
            ms=data.get("ms", 0.0),
        )


# -- text clean-up ----------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Upper case, one dash for every dash/space variant, digit look-alikes inside digit runs
    (and in a short piece after one: the check digit of AT-288293-B is an 8)."""
    text = _DASHES.sub("-", text.strip().upper()).strip("-")
    text = re.sub(r"-+", "-", text)

    def digits(m: re.Match) -> str:
        run = m.group(0)
        return run.translate(_LOOKALIKES) if any(c.isdigit() for c in run) else run

    tokens = [_RUNS.sub(digits, t) for t in text.split("-")]
    for i in range(1, len(tokens)):
        if tokens[i - 1].isdigit() and len(tokens[i]) <= 2 and _RUNS.fullmatch(tokens[i]):
            tokens[i] = tokens[i].translate(_LOOKALIKES)
    return "-".join(tokens)


def compile_patterns(patterns: Sequence[str] | str | None) -> list[re.Pattern]:
    """The crib's number patterns (one per line when a string), matched against whole reads.
    Raises ValueError naming the pattern that does not compile."""
    if patterns is None:
        patterns = DEFAULT_PATTERNS
    if isinstance(patterns, str):
        patterns = [p for p in patterns.splitlines() if p.strip()]
    out = []
    for p in patterns:
        try:
            out.append(re.compile(p.strip(), re.IGNORECASE))
        except re.error as e:
            raise ValueError(f"Pattern {p.strip()!r} is not a regular expression: {e}") from None
    return out


def rules_key(patterns: Sequence[re.Pattern], min_partial: int) -> str:
    """What a reading depends on besides the pixels: the patterns and the partial length (a
    kept reading is reused only under the same rules)."""
    import hashlib

    text = "\n".join(p.pattern for p in patterns) + f"\n{min_partial}"
    return hashlib.sha256(text.encode()).hexdigest()


def well_formed(text: str, patterns: Sequence[re.Pattern]) -> bool:
    return any(p.fullmatch(text) for p in patterns)


def numbers_in(text: str, patterns: Sequence[re.Pattern]) -> list[str]:
    """Well-formed numbers in one OCR line: the whole line, or a part of it between separators
    (a line may carry a maker's name beside the number), or the whole line with a lost
    separator put back (`with_separators`)."""
    text = normalise(text)
    if well_formed(text, patterns):
        return [text]
    if restored := with_separators(text, patterns):
        return [restored]
    found = []
    for p in patterns:
        for m in p.finditer(text):
            start, end = m.span()
            # Only whole tokens: 'XAT-288293-61' holds no number.
            if (start == 0 or not text[start - 1].isalnum()) and (
                end == len(text) or not text[end].isalnum()
            ):
                found.append(m.group(0))
    return found


# At most this many separators are put back into one read (AT-7992607 -> AT-799260-7). Not
# two: with both dashes lost the pattern checks little more than the count of letters and
# digits, and such looks were wrong more often than right (synthetic seeds 10-16, 40 looks:
# 19 right, 21 wrong; one dash put back: 99 right, 25 wrong; docs/markings.md).
MAX_LOST_SEPARATORS = 1


def with_separators(text: str, patterns: Sequence[re.Pattern]) -> str:
    """The one well-formed number that `text` (normalised) becomes with up to
    MAX_LOST_SEPARATORS dashes added between its characters, else "". At 12 px an etched
    `AT-799260-7` is read `AT-7992607` by every look: the dash before the check digit is lost,
    never a letter or a digit. Only dashes are added (none moved, no character changed), and
    only when exactly one way fits a pattern, so no other number can come out of it."""
    if not 6 <= len(text) <= 32 or not re.fullmatch(r"[A-Z0-9-]+", text):
        return ""
    gaps = [i for i in range(1, len(text)) if text[i - 1] != "-" and text[i] != "-"]
    fits = set()
    for n in range(1, MAX_LOST_SEPARATORS + 1):
        for where in itertools.combinations(gaps, n):
            cut = [0, *where, len(text)]
            candidate = "-".join(text[a:b] for a, b in zip(cut, cut[1:]))
            if well_formed(candidate, patterns):
                fits.add(candidate)
        if fits:
            break
    return fits.pop() if len(fits) == 1 else ""


def fragments_in(text: str, min_length: int) -> list[str]:
    """Parts of a line that could be the end of a number: letters, digits and dashes, at least
    `min_length` characters, mostly digits. Other scripts and short pieces are junk."""
    text = normalise(text)
    out = []
    for m in _FRAGMENT.finditer(text):
        piece = m.group(0)
        if len(piece) >= min_length and sum(c.isdigit() for c in piece) * 2 >= len(piece):
            out.append(piece)
    return out


# -- codes ------------------------------------------------------------------------------------


def read_codes(rgb: np.ndarray) -> list[Read]:
    """DataMatrix, QR, Code 128 and Code 39 in an RGB (or grey) array, at any angle."""
    grey = _grey(rgb)
    found, scale = _find_codes(grey), 1.0
    # Where the first look finds nothing, the same crop at other scales, cheapest first.
    # zxing-cpp misses some DataMatrix codes that it reads at another scale: modules of 4-6 px
    # whose edges blur over a module's width are read smaller (its own try_downscale never
    # looks at crops of 500 px or less), modules of 2-2.5 px at an angle are read enlarged
    # (cubic). Synthetic codes at >= 2.5 px/module: 46-47 of 48 -> 48 of 48 on seeds 11-16
    # (docs/markings.md, "Codes: other scales").
    for other in CODE_SCALES:
        if found:
            break
        small = min(grey.shape) * other < CODE_MIN_SIDE
        if small or (other > 1 and grey.size > CODE_UPSCALE_PIXELS):
            continue
        scale = other
        found = _find_codes(_resized(grey, scale))
    out = []
    for r in found:
        p = r.position
        xs = [p.top_left.x, p.top_right.x, p.bottom_right.x, p.bottom_left.x]
        ys = [p.top_left.y, p.top_right.y, p.bottom_right.y, p.bottom_left.y]
        out.append(
            Read(
                text=r.text.strip(),
                source=_code_source(r.format),
                confidence=1.0,  # codes carry their own error correction / check digits
                box=(
                    max(0, int(min(xs) / scale)),
                    max(0, int(min(ys) / scale)),
                    int(max(xs) / scale) + 1,
                    int(max(ys) / scale) + 1,
                ),
            )
        )
    return out


def _find_codes(grey: np.ndarray) -> list:
    """One zxing-cpp look: the valid codes with a payload."""
    import zxingcpp

    formats = zxingcpp.barcode_formats_from_str("DataMatrix,QRCode,MicroQRCode,Code128,Code39")
    found = zxingcpp.read_barcodes(grey, formats=formats, try_rotate=True, try_downscale=True)
    return [r for r in found if r.valid and r.text.strip()]


def _resized(grey: np.ndarray, scale: float) -> np.ndarray:
    import cv2

    shrink = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(grey, None, fx=scale, fy=scale, interpolation=shrink)


def _code_source(fmt: object) -> str:
    import zxingcpp

    F = zxingcpp.BarcodeFormat
    if fmt == F.DataMatrix:
        return Source.DATAMATRIX
    if fmt in (F.QRCode, F.MicroQRCode):
        return Source.QR
    return Source.BARCODE


def _grey(rgb: np.ndarray) -> np.ndarray:
    if rgb.ndim == 2:
        return np.ascontiguousarray(rgb)
    # ITU-R 601 luma, as zxing's own conversion does.
    g = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    return np.ascontiguousarray(g.astype(np.uint8))


# -- text -------------------------------------------------------------------------------------

_engine = None
_engine_error: str | None = None
_engine_lock = threading.Lock()


class OcrUnavailable(RuntimeError):
    pass


def _rapidocr(params: dict[str, Any]) -> Any:
    """A quiet RapidOCR 3.x engine with `params`, on one onnxruntime thread per run:
    onnxruntime's second thread mostly spins on these small images (twice the CPU time, slower
    on a busy machine); read_photo reads READERS boxes at once instead (docs/markings.md)."""
    from rapidocr import RapidOCR

    engine = RapidOCR(
        params={
            "Global.log_level": "error",
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            **params,
        }
    )
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return engine


def ocr_engine() -> Any:
    """The OCR engine, loaded once per process from the models inside the rapidocr wheel.
    Raises OcrUnavailable (with the reason) when it cannot be loaded."""
    global _engine, _engine_error
    with _engine_lock:
        if _engine is None and _engine_error is None:
            try:
                _engine = _rapidocr(
                    {
                        # The detector sees crops as they are (small ones are enlarged to
                        # MIN_SIDE first) and whole photos at most DETECT_SIDE: the wheel's
                        # default enlarges every crop to 736 px on its short side, 4x slower
                        # for no better reads on the synthetic set (docs/markings.md).
                        "Det.limit_type": "max",
                        "Det.limit_side_len": DETECT_SIDE,
                        # Each character's own score (the recogniser's probability of the
                        # character it chose), not only the line's mean: kept on every look
                        # (bench/marking_scores.py shows them; docs/markings.md).
                        "Global.return_word_box": True,
                    }
                )
            except Exception as e:  # import errors, missing model files, bad onnxruntime
                _engine_error = f"the OCR engine could not be loaded: {e}"
        if _engine is None:
            raise OcrUnavailable(_engine_error)
        return _engine


# The second recogniser: PP-OCRv4 mobile text recognition, an older generation trained apart from
# the PP-OCRv6 small one that reads first. Its model file ships inside the rapidocr-onnxruntime
# 1.4.4 wheel (Apache-2.0, like rapidocr); that package's own code is never imported (it is
# RapidOCR 1.x, which wants the GUI opencv-python): rapidocr 3.x runs the file.
SECOND_PACKAGE = "rapidocr_onnxruntime"
SECOND_MODEL = "models/ch_PP-OCRv4_rec_infer.onnx"

_second: Any = None
_second_error: str | None = None
_second_lock = threading.Lock()


def second_model_path() -> Path:
    """The second recogniser's model file, found in its installed package without importing it.
    Raises FileNotFoundError when the package or the file is missing."""
    spec = importlib.util.find_spec(SECOND_PACKAGE)
    where = list(spec.submodule_search_locations or ()) if spec else []
    if not where:
        raise FileNotFoundError(f"the {SECOND_PACKAGE} package is not installed")
    path = Path(where[0]) / SECOND_MODEL
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing")
    return path


def second_recogniser() -> Any | None:
    """The second recogniser (a RapidOCR engine that only recognises), loaded once per process;
    None when it cannot be loaded: the reader then reads with one recogniser, and
    `second_recogniser_status` says why."""
    global _second, _second_error
    with _second_lock:
        if _second is None and _second_error is None:
            try:
                from rapidocr.utils.typings import ModelType, OCRVersion

                engine = _rapidocr(
                    {
                        "Rec.model_path": str(second_model_path()),
                        "Rec.ocr_version": OCRVersion.PPOCRV4,
                        "Rec.model_type": ModelType.MOBILE,
                    }
                )
                # Load the model now (RapidOCR loads on first use): a bad file fails here, once.
                engine.recognize_txt([np.full((48, 160, 3), 255, np.uint8)])
                _second = engine
            except Exception as e:  # package or file missing, a file onnxruntime refuses
                _second_error = f"the second recogniser could not be loaded: {e}"
        return _second


def second_recogniser_status() -> tuple[bool, str]:
    """Whether markings are read by two recognisers, in words (for the benches)."""
    if second_recogniser() is not None:
        return True, "Text is read by two recognisers (PP-OCRv6 small, PP-OCRv4 mobile)."
    return False, f"Text is read by one recogniser: {_second_error}."


def _second_reads(second: Any, crops: list[np.ndarray]) -> list[str]:
    """The second recogniser's text for each line crop (BGR, already turned upright)."""
    if not crops:
        return []
    return [str(t) for t in second.recognize_txt(crops).txts]


def second_agrees(
    views: Sequence[str], seconds: Sequence[str], patterns: Sequence[re.Pattern]
) -> str | None:
    """The number to name from a line whose looks disagree, or None: the one the second
    recogniser reads in every one of its looks (at least four; a look may have lost the
    number's dashes, `_same_characters`, but reads no other number), when the first recogniser
    reads it in more than half of its own. Fitted on synthetic seeds 10-16 and the real crops, where it
    named 6 more numbers (4 of them real crops) and no wrong one; on seeds 17-19, held out, 2
    more and no wrong one (docs/markings.md, "A second recogniser"). The dashless look: two more
    on seeds 11-16 (a 12 px etched number, a 6 px label), none wrong (session 10)."""
    if len(seconds) < 4:
        return None
    found = [set(numbers_in(v, patterns)) for v in seconds]
    candidates = set().union(*found)
    if len(candidates) != 1:
        return None
    [number] = candidates
    if not all(f or _same_characters(v, number) for f, v in zip(found, seconds)):
        return None
    firsts = sum(number in numbers_in(v, patterns) for v in views)
    return number if firsts * 2 > len(views) else None


def _same_characters(text: str, number: str) -> bool:
    """Whether `text` reads every letter and digit of `number`, in order, and nothing else: the
    number with its dashes lost (PP-OCRv4 reads `AT6044779` for `AT-604477-9`, where its other
    looks read the dashes). Such a look backs a number the others read; alone it names none."""
    return _letters_and_digits(text) == _letters_and_digits(number)


def _letters_and_digits(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", normalise(text))


@dataclass(frozen=True)
class Look:
    """One reading of a known line: its text and each character's score."""

    text: str
    char_scores: tuple[float, ...] = ()
    turned: bool = False  # read turned half a turn from the angle classifier's choice


@dataclass(frozen=True)
class TextLine:
    text: str  # as the OCR read it, not normalised
    confidence: float
    quad: np.ndarray  # 4x2 float, corners in the pixels read
    char_height: float
    char_scores: tuple[float, ...] = ()  # one per character of `text`, where the engine gives them
    # The levelled line as the recogniser saw it (BGR, turned upright): the second recogniser
    # reads these very pixels.
    crop: np.ndarray | None = field(default=None, repr=False, compare=False)
    turned: bool = False  # read turned half a turn from the angle classifier's choice

    @property
    def box(self) -> Box:
        x0, y0 = self.quad.min(axis=0)
        x1, y1 = self.quad.max(axis=0)
        return (int(x0), int(y0), int(np.ceil(x1)), int(np.ceil(y1)))


def read_text(rgb: np.ndarray, engine: Any = None, *, flatten: bool = False) -> list[TextLine]:
    """Every text line the OCR finds, at any angle: the detector finds oriented lines, each is
    turned level before recognition, and upside-down lines are turned by the angle classifier.
    `flatten`: read the crop's local contrast instead of its pixels (see `flattened`)."""
    import cv2

    engine = engine or ocr_engine()
    if rgb.ndim == 2:
        rgb = np.stack([rgb] * 3, axis=-1)
    scale = max(1.0, MIN_SIDE / max(1, min(rgb.shape[:2])))
    if scale > 1:
        rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    if flatten:
        rgb = flattened(rgb)
    bgr = np.ascontiguousarray(rgb[..., ::-1])  # RapidOCR takes OpenCV's BGR order
    # Lines first (detection only), then the angle classifier and recognition on the lines that
    # can hold a number, in one batch. The steps are named on every call because the engine
    # keeps the last call's choice.
    found = engine(bgr, use_det=True, use_cls=False, use_rec=False)
    boxes = getattr(found, "boxes", None)
    quads = [] if boxes is None else [np.asarray(q, dtype=np.float32) for q in boxes]
    if not quads:
        return []
    turned: list[np.ndarray] = []
    texts = _recognise(engine, [_level(bgr, q) for q in quads], turned)
    return [
        TextLine(text, score, q / scale, _char_height(q) / scale, chars, crop, half)
        for q, (text, score, chars, half), crop in zip(quads, texts, turned)
        if text.strip() and score >= engine.text_score
    ]


def _level(bgr: np.ndarray, quad: np.ndarray) -> np.ndarray:
    from rapidocr.utils.process_img import get_rotate_crop_image

    return get_rotate_crop_image(bgr, quad.astype(np.float32).copy())


def _recognise(
    engine: Any, crops: list[np.ndarray], turned_out: list[np.ndarray] | None = None
) -> list[tuple[str, float, tuple[float, ...], bool]]:
    """Text, confidence, each character's score of each levelled line crop (BGR), and whether
    it was read turned half a turn from the angle classifier's choice (`TURN_CHECK_BELOW`):
    upside-down ones turned by the angle classifier, all recognised in batches. `turned_out`
    gets the crops as recognised (turned upright), for the second recogniser."""
    if not crops:
        return []
    turned, _ = engine.cls_and_rotate(crops)
    turned = list(turned)
    out = [(*read, False) for read in _recognised(engine, turned)]
    # The angle classifier leaves some small etched lines upside down (read as 'V' or 'AT-6'
    # where the line turned half a turn reads AT-563755-6 at 0.96): a weak read is read again
    # turned half a turn, and the surer of the two is kept.
    weak = [i for i, (_, score, *_) in enumerate(out) if score < TURN_CHECK_BELOW]
    if weak:
        halves = [np.ascontiguousarray(turned[i][::-1, ::-1]) for i in weak]
        for i, half, read in zip(weak, halves, _recognised(engine, halves)):
            if read[1] > out[i][1]:
                turned[i], out[i] = half, (*read, True)
    if turned_out is not None:
        turned_out.extend(turned)
    return out


def _recognised(engine: Any, crops: list[np.ndarray]) -> list[tuple[str, float, tuple[float, ...]]]:
    """Text, confidence and each character's score of each upright line crop (BGR)."""
    rec = engine.recognize_txt(crops)
    words = rec.word_results if len(rec.word_results or ()) == len(rec.txts) else ()
    out = []
    for i, (t, s) in enumerate(zip(rec.txts, rec.scores)):
        confs = tuple(float(c) for c in getattr(words[i], "confs", ())) if words else ()
        out.append((str(t), float(s), confs if len(confs) == len(str(t)) else ()))
    return out


def flattened(rgb: np.ndarray) -> np.ndarray:
    """Grey local contrast: the pixel minus its blurred surroundings, stretched to 0-255. Takes
    away glare, tarnish and gradients, which hide faint etching from the detector."""
    import cv2

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    detail = cv2.GaussianBlur(grey - cv2.GaussianBlur(grey, (0, 0), 12), (0, 0), 0.7)
    lo, hi = np.percentile(detail, [0.5, 99.5])
    out = np.clip((detail - lo) / max(hi - lo, 1e-6) * 255, 0, 255).astype(np.uint8)
    return np.stack([out] * 3, axis=-1)


def _char_height(quad: Any) -> float:
    """The line box's short side (its thickness across the text), scaled to capital height."""
    q = np.asarray(quad, dtype=np.float32)
    sides = [float(np.linalg.norm(q[(i + 1) % 4] - q[i])) for i in range(4)]
    across = min((sides[0] + sides[2]) / 2, (sides[1] + sides[3]) / 2)
    return across * HEIGHT_PER_BOX


# -- one crop ---------------------------------------------------------------------------------


def read_marking(
    rgb: np.ndarray,
    patterns: Sequence[re.Pattern] | None = None,
    *,
    min_partial: int = DEFAULT_MIN_PARTIAL,
    engine: Any = None,
    second: Any = True,
) -> Marking:
    """Read codes and text from one full-resolution crop. Never raises on a bad crop or a
    failing engine: the Marking says what happened. `second`: the second recogniser (True: the
    one `second_recogniser` loads, if it can; None: read with one)."""
    started = time.perf_counter()
    patterns = compile_patterns(None) if patterns is None else patterns
    marking = Marking()
    if rgb is None or rgb.size == 0 or min(rgb.shape[:2]) < 8:
        return _done(marking, started, "failed", "The crop is too small to read a marking from.")
    if float(np.ptp(rgb)) < 8:
        return _done(marking, started, "not_found", "The crop is blank: no marking to read.")
    marking.codes = read_codes(rgb)
    if marking.codes:
        # A code is checksummed and says all a number would: no need to spend the OCR's time.
        return _done(marking, started, *_status(marking))
    try:
        lines = read_text(rgb, engine)
        if _flat_look_may_help(lines, patterns):
            # Faint etching under glare: a second look at the local contrast.
            lines += read_text(rgb, engine, flatten=True)
    except OcrUnavailable as e:
        return _done(marking, started, "failed", f"Text not read: {e}.")
    except Exception as e:  # the engine failing on odd pixels must not fail the line
        return _done(marking, started, "failed", f"Text not read: the OCR failed ({e}).")
    if second is True:
        second = second_recogniser()

    def look(line: TextLine) -> tuple[list[Look], Callable[[], list[str]]]:
        turned: list[np.ndarray] = []
        looks = other_looks(rgb, line, engine, turned)
        if second is None or line.crop is None:
            return looks, list
        # Read by the second recogniser only when asked: where the looks disagree.
        return looks, lambda: _second_reads(second, [line.crop, *turned])

    try:
        _add_text(marking, lines, patterns, min_partial, look)
    except Exception as e:  # a second look failing leaves the first look unconfirmed
        return _done(marking, started, "failed", f"Text not read: the OCR failed ({e}).")
    if second is None and (marking.numbers or marking.unsure):
        marking.one_recogniser = True
    return _done(marking, started, *_status(marking))


def _flat_look_may_help(lines: list[TextLine], patterns: Sequence[re.Pattern]) -> bool:
    """Whether to look again at the crop's local contrast: when no number was read and the
    first look found either no text line at all (faint etching under glare) or a line with
    three digits or more (a number read badly). Lines without digits (a maker's name, tool
    texture) are not looked at again: on the synthetic set that second look never read a
    number there (docs/markings.md, "Speed")."""
    if any(numbers_in(t.text, patterns) for t in lines):
        return False
    return not lines or any(sum(c.isdigit() for c in t.text) >= 3 for t in lines)


def _add_text(
    marking: Marking,
    lines: list[TextLine],
    patterns: Sequence[re.Pattern],
    min_partial: int,
    look: Callable[[TextLine], tuple[list[Look], Callable[[], list[str]]]],
) -> None:
    """Numbers and fragments from the lines. A line's number counts only when every look at it
    that reads a number reads the same one, and at least two do: at 8-12 px an etched 8 is read
    as 6 with 98 % confidence by one look and as 8 by the next (docs/markings.md). Where the
    looks disagree, the second recogniser's reads of the same four line crops may name the
    number (`second_agrees`)."""
    seen = set()
    for line in sorted(lines, key=lambda t: -t.confidence):
        if not (numbers_in(line.text, patterns) or fragments_in(line.text, min_partial)):
            continue  # a maker's name, a size: nothing to look at twice
        more, second_reads = look(line)
        looks = [Look(line.text, line.char_scores, line.turned), *more]
        views = [v.text for v in looks]
        found = [set(numbers_in(v, patterns)) for v in views]
        candidates = set().union(*found)
        height = round(line.char_height, 1)
        # A line read turned half a turn in any look is named only when every look reads its
        # number, and the second recogniser does not settle it: turned, a 6-8 px etched line
        # too small to read upright is read as a plausible wrong number by three looks of four.
        turned = any(v.turned for v in looks)
        agreeing = max(2, len(looks)) if turned else 2
        agreed = len(candidates) == 1 and sum(bool(f) for f in found) >= agreeing
        number = None
        if line.confidence >= MIN_CONFIDENCE:
            if agreed:
                [number] = candidates
            elif candidates and not turned:
                number = second_agrees(views, second_reads(), patterns)
        if number is not None:
            if number not in seen:
                seen.add(number)
                marking.numbers.append(Read(number, Source.OCR, line.confidence, line.box, height))
        elif candidates:
            marking.unsure += 1
        else:
            tail = _common_tail([v for v in views if v.strip()])
            if len(tail) >= min_partial:
                marking.fragments.append(Read(tail, Source.OCR, line.confidence, line.box, height))
    # The height the desk sees: of the number if one was read, else of the tallest text found.
    heights = [r.char_height for r in marking.numbers if r.char_height is not None] or [
        t.char_height for t in lines
    ]
    marking.char_height = round(max(heights), 1) if heights else None


def _common_tail(texts: list[str]) -> str:
    """The end that every read of a line shares (letters and digits only, normalised)."""
    cleaned = [_letters_and_digits(t) for t in texts]
    if len(cleaned) < 2:
        return ""
    tail = cleaned[0]
    for c in cleaned[1:]:
        n = 0
        while n < min(len(tail), len(c)) and tail[-1 - n] == c[-1 - n]:
            n += 1
        tail = tail[len(tail) - n :]
    return tail


def other_looks(
    rgb: np.ndarray,
    line: TextLine,
    engine: Any = None,
    turned_out: list[np.ndarray] | None = None,
) -> list[Look]:
    """Three more readings of one line: enlarged 3x, enlarged with a wider margin, and its local
    contrast enlarged. Recognition only (the line is known), a few tens of ms each.
    `turned_out` gets the three line crops as recognised (for the second recogniser)."""
    import cv2

    engine = engine or ocr_engine()
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = line.box
    margin = int(line.char_height * 2) + 4
    x0, y0, x1, y1 = (
        max(0, x0 - margin),
        max(0, y0 - margin),
        min(w, x1 + margin),
        min(h, y1 + margin),
    )
    if x1 - x0 < 2 or y1 - y0 < 2:
        return []
    big = cv2.resize(rgb[y0:y1, x0:x1], None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
    quad = (line.quad - (x0, y0)) * 3
    centre = quad.mean(axis=0)
    wider = (quad - centre) * 1.15 + centre
    crops = []
    for image, q in ((big, quad), (big, wider), (flattened(big), quad)):
        q = np.clip(q, 0, [image.shape[1] - 1, image.shape[0] - 1]).astype(np.float32)
        crops.append(_level(np.ascontiguousarray(image[..., ::-1]), q))
    return [Look(t, chars, half) for t, _, chars, half in _recognise(engine, crops, turned_out)]


def _status(marking: Marking) -> tuple[str, str]:
    best = marking.best
    if best is not None:
        return "read", f"Read {best.text} ({best.source})."
    if marking.char_height is not None and marking.char_height < READABLE_HEIGHT:
        return (
            "too_small",
            f"Characters about {marking.char_height:.0f} px tall are too small to read: "
            "take a close-up.",
        )
    if marking.unsure:
        if marking.one_recogniser:
            # The second recogniser names some of these where it is installed.
            return "unsure", (
                "The number was read differently on two looks (read with one recogniser: the "
                "second is not installed): take a close-up."
            )
        return "unsure", "The number was read differently on two looks: take a close-up."
    if marking.fragments:
        return "partial", "Only part of a number was read: take a close-up to read all of it."
    return "not_found", "No marking found: take a close-up of the number or label."


def _done(marking: Marking, started: float, status: str, message: str) -> Marking:
    marking.status, marking.message = status, message
    marking.ms = round((time.perf_counter() - started) * 1000, 1)
    return marking


# -- a whole photo ----------------------------------------------------------------------------


def read_box(
    rgb: np.ndarray,
    box: Box,
    patterns: Sequence[re.Pattern],
    *,
    min_partial: int = DEFAULT_MIN_PARTIAL,
    engine: Any = None,
) -> Marking:
    """The marking in one box of a full-resolution photo (a turned box: its bounds, where text
    and codes are found at any angle)."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = turned.bounds(box)
    crop = rgb[max(0, y0) : min(h, y1), max(0, x0) : min(w, x1)]
    return read_marking(crop, patterns, min_partial=min_partial, engine=engine)


def read_each(
    rgb: np.ndarray,
    boxes: Sequence[Box],
    patterns: Sequence[re.Pattern] | None = None,
    *,
    min_partial: int = DEFAULT_MIN_PARTIAL,
    engine: Any = None,
) -> Iterator[tuple[int, Marking]]:
    """(index, marking) of each box of one full-resolution photo as soon as it is read, READERS
    boxes at a time: the marking reader keeps each one at once, so the page fills in box by box.
    A box whose reading raises (a bug) fails alone, as a "failed" marking.

    Each box is read on its own, not found once over the whole photo: an etched number is
    often 7-10 px tall, which the detector finds only in a crop enlarged to MIN_SIDE; over a
    whole 1600 px photo it found nothing (docs/markings.md)."""
    patterns = compile_patterns(None) if patterns is None else patterns

    def read(box: Box) -> Marking:
        try:
            return read_box(rgb, box, patterns, min_partial=min_partial, engine=engine)
        except Exception as e:
            logging.getLogger(__name__).exception("reading the marking in box %s failed", box)
            return Marking(status="failed", message=f"{type(e).__name__}: {e}")

    if len(boxes) < 2 or READERS < 2:
        yield from enumerate(map(read, boxes))
        return
    # The engine's sessions run on one thread each and release the GIL: READERS boxes at once.
    with ThreadPoolExecutor(min(READERS, len(boxes))) as pool:
        reads = {pool.submit(read, box): i for i, box in enumerate(boxes)}
        for done in as_completed(reads):
            yield reads[done], done.result()


def read_photo(
    rgb: np.ndarray,
    boxes: Sequence[Box],
    patterns: Sequence[re.Pattern] | None = None,
    *,
    min_partial: int = DEFAULT_MIN_PARTIAL,
    engine: Any = None,
) -> list[Marking]:
    """Markings of the tools in one full-resolution photo, in the boxes' order (read_each)."""
    found = dict(read_each(rgb, boxes, patterns, min_partial=min_partial, engine=engine))
    return [found[i] for i in range(len(boxes))]
