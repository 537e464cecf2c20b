"""Whose tools a photo shows: the return desk may leave the engineer empty."""

from collections import Counter

from toolcrib.crib.models import Engineer, IssuedTool
from toolcrib.crib.recognition import Recognised


def likely_holder(recognised: list[Recognised]) -> Engineer | None:
    """Whoever holds the tools the photo looks most like (votes weighted by match %)."""
    votes: Counter = Counter()
    for tool in recognised:
        for candidate in tool.instances[:3]:
            held = (
                IssuedTool.objects.filter(
                    tool_instance_id=candidate.tool_instance_id, closed_at__isnull=True
                )
                .select_related("issue__engineer")
                .first()
            )
            if held:
                votes[held.issue.engineer] += candidate.match_percent
                break
    return votes.most_common(1)[0][0] if votes else None
