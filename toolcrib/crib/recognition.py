"""The crib's use of the tool model: features of the tools in a stored photo.

Recognition may be off (no model file); callers then get no features and every returned tool
goes to a manual recount.
"""

import numpy as np

from toolcrib.crib.models import Photo


def embed(photo: Photo, boxes: list[tuple[int, int, int, int]]) -> tuple[list[np.ndarray | None], str]:
    """Features (512-d float32) of each box in `photo`, and the sha256 of the model that made them."""
    from inference.runtime import get_model
    from inference.recognise import features_of

    model = get_model()
    if model is None or not boxes:
        return [None] * len(boxes), ""
    with photo.image.open("rb") as f:
        data = f.read()
    return list(features_of(data, boxes, model)), model.sha256
