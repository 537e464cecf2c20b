"""Recognition as the box editor reads it: plain JSON per box, and the model's status."""

from toolcrib.crib import recognition


def model_status():
    status = getattr(recognition, "model_status", None)
    if status is None:  # TODO(merge): recognition lands on main; drop this fallback
        return _Unavailable()
    return status()


class _Unavailable:
    available = False
    message = "Visual recognition is not installed yet."
    sha256 = ""


def recognise(photo, boxes=None, *, in_crib_only=True) -> list[dict]:
    """Each box with its likely tool types and the nearest enrolled instances."""
    if getattr(recognition, "recognise_photo", None) is None:  # TODO(merge): see above
        return [_plain(box) for box in boxes or []]
    return [
        {
            "box": list(r.box),
            "confidence": r.confidence,
            "types": [{"id": t.tool_type_id, "name": t.name, "probability": t.probability} for t in r.types],
            "instances": [
                {"id": i.tool_instance_id, "inventory_number": i.inventory_number, "match_percent": i.match_percent}
                for i in r.instances
            ],
        }
        for r in recognition.recognise_photo(photo, boxes, in_crib_only=in_crib_only)
    ]


def _plain(box):
    return {"box": list(box), "confidence": 1.0, "types": [], "instances": []}
