"""The crib's roles, applied to the API exactly as to the pages.

Reading a kind of record needs its view permission; writing needs the model permission
(add/change/delete) or, for the desk's work, the role's own permission: `view.write_permissions`
names them, e.g. {"POST": ["crib.issue_tools"]}.
"""

from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.views import APIView

from toolcrib.crib import roles

VIEW = ["%(app_label)s.view_%(model_name)s"]


class CribPermissions(DjangoModelPermissions):
    perms_map = {**DjangoModelPermissions.perms_map, "GET": VIEW, "HEAD": VIEW, "OPTIONS": VIEW}

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        required = getattr(view, "write_permissions", {}).get(request.method)
        if required is not None and request.method not in SAFE_METHODS:
            return request.user.has_perms(required)
        return super().has_permission(request, view)


class TakesPhotos(CribPermissions):
    """Uploading a photo or asking what is in one: any role that photographs tools."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return super().has_permission(request, view)
        return roles.takes_photos(request.user)
