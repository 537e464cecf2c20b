"""Recognition as the box editor reads it: plain JSON per box."""

from toolcrib.crib.recognition import recognise_photo


def recognise(photo, boxes=None, *, in_crib_only=True) -> list[dict]:
    """Each box with its likely tool types and the nearest enrolled instances."""
    return [
        {
            "box": list(r.box),
            "confidence": r.confidence,
            "types": [
                {"id": t.tool_type_id, "name": t.name, "probability": t.probability}
                for t in r.types
            ],
            "instances": [
                {
                    "id": i.tool_instance_id,
                    "inventory_number": i.inventory_number,
                    "match_percent": i.match_percent,
                }
                for i in r.instances
            ],
            "tools_inside": r.tools,
            "notice": r.notice,
        }
        for r in recognise_photo(photo, boxes, in_crib_only=in_crib_only)
    ]
