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

    Each box speaks for the holder of its nearest enrolled tool instance (a box whose nearest
    tool is in the crib or lost speaks for nobody)."""
    nearest = [tool.instances[0].tool_instance_id for tool in recognised if tool.instances]
    if not nearest:
        return None
    holders = dict(
        IssuedTool.objects.open()
        .filter(tool_instance_id__in=nearest)
        .values_list("tool_instance_id", "issue__engineer_id")
    )
    votes = Counter(holders[t] for t in nearest if t in holders)
    ranked = votes.most_common(2) + [(None, 0)]
    (best, n), (_, runner_up) = ranked[0], ranked[1]
    if best is None or n * 2 < len(recognised) or (runner_up and n <= CLEARLY_BETTER * runner_up):
        return None
    return Engineer.objects.get(pk=best)
