"""Whose tools a photo shows: the return desk may leave the engineer empty, and the page
fills it in only when the answer is clear; otherwise the desk is asked."""

from collections import Counter

from toolcrib.crib.models import Engineer, IssuedTool
from toolcrib.crib.recognition import Suggestion

# The leading engineer needs more than this many times the runner-up's boxes, and at least
# half of all the boxes: a photo of Anna's tools that looks a little like Ivan's is not Ivan's.
CLEARLY_BETTER = 2


def likely_holder(recognised: list[Suggestion]) -> Engineer | None:
    """The engineer whose tools explain the photo clearly better than anyone else's, or None.

    Each box speaks for the holder of the tool its marking names, else of its nearest enrolled
    tool instance (a box whose tool is in the crib or lost speaks for nobody)."""
    nearest = [t for t in map(_named_or_nearest, recognised) if t is not None]
    if not nearest:
        return None
    holders = dict(
        IssuedTool.objects.open()
        .filter(tool_instance_id__in=nearest)
        .values_list("tool_instance_id", "issue__engineer_id")
    )
    votes = Counter(holders[t] for t in nearest if t in holders)
    ranked = votes.most_common(2) + [(None, 0), (None, 0)]  # nobody holds them: no votes
    (best, n), (_, runner_up) = ranked[0], ranked[1]
    if best is None or n * 2 < len(recognised) or (runner_up and n <= CLEARLY_BETTER * runner_up):
        return None
    return Engineer.objects.get(pk=best)


def _named_or_nearest(tool: Suggestion) -> int | None:
    if tool.named is not None and tool.named.tool_instance_id is not None:
        return tool.named.tool_instance_id
    return tool.instances[0].tool_instance_id if tool.instances else None
