"""What every page needs: whether recognition works (for the banner), and the site a user is
limited to (named in the top bar, so a limited user knows why another site's tools are absent)."""

from inference.runtime import model_status
from toolcrib.crib import sites


def recognition(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"recognition": model_status(), "crib_site": sites.site_of(request.user)}
