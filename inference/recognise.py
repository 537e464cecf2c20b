"""Photo + boxes -> per-tool class candidates and features."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import rotation, turned
from .preprocess import (
    Box,
    DecodedPhoto,
    check_box,
    open_photo,
    pad_and_resize,
    photo_model_inputs,
    whole_image,
)
from .runtime import Model
from .similarity import l2_normalise

# Class index i of `p` is training folder i+1 (models README).
CLASS_NAMES = (
    "1_screw_flat",
    "2_screw_plus",
    "3_offset_screw_plus",
    "4_kolovorot",
    "5_safety_pliers",
    "6_pliers",
    "7_shernitsa",
    "8_adjustable_wrench",
    "9_can_opener",
    "10_open_end_wrench_3_4",
    "11_side_cutters",
)


@dataclass
class Candidate:
    class_index: int
    probability: float

    @property
    def class_name(self) -> str:
        return (
            CLASS_NAMES[self.class_index]
            if self.class_index < len(CLASS_NAMES)
            else str(self.class_index)
        )


@dataclass
class Recognition:
    box: tuple  # (x0, y0, x1, y1) or a turned box (inference/turned.py)
    candidates: list[Candidate]  # best first; empty when the model has no `p` output
    feature: np.ndarray  # float32 [512], unit length


def model_inputs(photo: DecodedPhoto, boxes: Sequence[Box], mode: str) -> np.ndarray:
    """uint8 [n,112,112,3] for the boxes, turned to the canonical orientation if asked."""
    if mode == "canonical":
        # A turned box is level already: canonicalise what the model would see of it.
        cut = [photo.level(b) if turned.angle_of(b) else photo.region(b) for b in boxes]
        return np.stack([pad_and_resize(rotation.canonicalise(c)) for c in cut])
    return photo_model_inputs(photo, boxes)


def model_outputs(
    model: Model, inputs: np.ndarray, mode: str
) -> tuple[np.ndarray | None, np.ndarray]:
    """Class probabilities (or None) and unit features of model inputs, in one session.run;
    with TTA, all four rotations of all inputs together."""
    if mode == "tta":
        p, feature = model.run(rotation.tta_batch(inputs))
        return rotation.tta_combine(p, feature, len(inputs))
    p, feature = model.run(inputs)
    return p, l2_normalise(feature)


def recognise(
    photo_bytes: bytes,
    boxes: Sequence[Box] | None,
    model: Model,
    rotation_mode: str | None = None,
    top: int = 3,
    draft: bool = True,
) -> list[Recognition]:
    """Recognise each box of a photo (the whole photo when no boxes are given).

    `rotation_mode` is none|tta|canonical (default: TOOLCRIB_ROTATION); draft=False
    forces a full-resolution decode. Raises PhotoError for an unusable upload or box.
    """
    mode = rotation.rotation_mode(rotation_mode)
    photo = open_photo(photo_bytes, boxes or None, draft=draft)
    wanted = [check_box(b, photo.size) for b in boxes] if boxes else [whole_image(photo.size)]
    p, features = model_outputs(model, model_inputs(photo, wanted, mode), mode)
    results = []
    for i, box in enumerate(wanted):
        candidates = []
        if p is not None:
            order = np.argsort(-p[i])[:top]
            candidates = [Candidate(int(c), float(p[i, c])) for c in order]
        results.append(Recognition(box=box, candidates=candidates, feature=features[i]))
    return results
