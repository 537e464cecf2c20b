"""What every page needs: whether recognition works (for the banner)."""

from inference.runtime import model_status


def recognition(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"recognition": model_status()}
