"""A user limited to one site's crib, and the one rule of what such a user sees.

An admin gives a user (storekeeper, return desk, QA...) a site (`UserSite`, set through
`people.set_site`, audited). Such a user sees and acts only on that site's tools and what
concerns them: their issued tools, issues, return lines, calibration records, enrolments,
audit events, foreign tool reports. A user without a site sees every site (superusers always
do). Every list and lookup asks `visible` (the pages, the API's `CribAPI.get_queryset`, the
Django admin, the exports, the labels, the notices), so a record of another site is simply not
found: 404, never 500. The services refuse another site's tool with `check_reaches`.
"""

from collections.abc import Iterable

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from toolcrib.crib.errors import CribError
from toolcrib.crib.models import (
    AuditEvent,
    CalibrationRecord,
    Enrolment,
    ForeignToolReport,
    Issue,
    IssuedTool,
    Photo,
    Return,
    ReturnedTool,
    Site,
    ToolInstance,
    UserSite,
)

_UNKNOWN = object()


def site_of(user) -> Site | None:
    """The site `user` is limited to; None: every site (no site given, a superuser, nobody)."""
    if user is None or not user.is_authenticated or user.is_superuser:
        return None
    cached = getattr(user, "_crib_site", _UNKNOWN)
    if cached is _UNKNOWN:
        row = UserSite.objects.filter(user_id=user.pk).select_related("site").first()
        cached = row.site if row else None
        user._crib_site = cached  # once per request: request.user lives as long as it
    return cached  # type: ignore[return-value]


def forget(user) -> None:
    """After the user's site changed: asked again next time."""
    if hasattr(user, "_crib_site"):
        del user._crib_site


def _ids(qs: QuerySet) -> QuerySet:
    """The primary keys of `qs` as text, to match AuditEvent.object_id."""
    return qs.annotate(text_id=Cast("pk", CharField())).values("text_id")


def _tools(site: Site) -> QuerySet:
    return ToolInstance.objects.filter(site=site)


def _returns(site: Site) -> QuerySet:
    """Returns with a line or a tool left out of the site's tools, or taken by one of its desk."""
    return Return.objects.filter(
        Q(tools__issued_tool__tool_instance__site=site)
        | Q(still_out_tools__tool_instance__site=site)
        | Q(desk_user__crib_site__site=site)
    )


def _lines(site: Site) -> QuerySet:
    """Return lines of the site's tools, and extra lines (no issued tool) of its returns."""
    return ReturnedTool.objects.filter(
        Q(issued_tool__tool_instance__site=site)
        | Q(issued_tool__isnull=True, tool_return__in=_returns(site).values("pk"))
    )


def _photos(site: Site) -> Q:
    """Photos uploaded by the site's users, or used by its tools' enrolments, by its issues or
    by its returns: a photo of another site's records only is not theirs (nor its file)."""
    return (
        Q(uploaded_by__crib_site__site=site)
        | Q(pk__in=Enrolment.objects.filter(tool_instance__site=site).values("photo_id"))
        | Q(
            pk__in=Issue.photos.through.objects.filter(
                issue__tools__tool_instance__site=site
            ).values("photo_id")
        )
        | Q(
            pk__in=Return.photos.through.objects.filter(
                return_id__in=_returns(site).values("pk")
            ).values("photo_id")
        )
    )


def _events(site: Site) -> QuerySet:
    """Audit events of the site's tools, issues, returns, lines, calibration records, enrolments."""
    of = {
        "toolinstance": _tools(site),
        "issue": Issue.objects.filter(tools__tool_instance__site=site),
        "return": _returns(site),
        "returnedtool": _lines(site),
        "calibrationrecord": CalibrationRecord.objects.filter(tool_instance__site=site),
        "enrolment": Enrolment.objects.filter(tool_instance__site=site),
    }
    q = Q(pk__in=[])
    for kind, records in of.items():
        q |= Q(object_type=kind, object_id__in=_ids(records))
    return AuditEvent.objects.filter(q)


# Each model a site limits, and how: a filter on the model, or a query of its visible records
# (for rules through many-valued relations, so a record never shows twice).
_RULES = {
    ToolInstance: lambda site: Q(site=site),
    IssuedTool: lambda site: Q(tool_instance__site=site),
    CalibrationRecord: lambda site: Q(tool_instance__site=site),
    Enrolment: lambda site: Q(tool_instance__site=site),
    Photo: _photos,
    Issue: lambda site: Q(
        pk__in=Issue.objects.filter(tools__tool_instance__site=site).values("pk")
    ),
    Return: lambda site: Q(pk__in=_returns(site).values("pk")),
    ReturnedTool: lambda site: Q(pk__in=_lines(site).values("pk")),
    ForeignToolReport: lambda site: Q(line__in=_lines(site).values("pk")),
    AuditEvent: lambda site: Q(pk__in=_events(site).values("pk")),
}


def seen_through(relation: str, model, user) -> Q:
    """For counts over a listed record's `relation` (e.g. an issue's "tools"): the related
    `model` rows `user` sees, by the same rule as `visible`, as a filter (empty for a user of
    every site). A mixed-site issue or return is counted for a limited user by its own site's
    lines, not the other site's."""
    if site_of(user) is None:
        return Q()
    return Q(**{f"{relation}__in": visible(model.objects.all(), user).values("pk")})


def visible(qs: QuerySet, user) -> QuerySet:
    """`qs` narrowed to what `user` may see. Models no site limits (tool types, engineers,
    sites, settings, users) come back whole: an engineer works wherever they are, but the
    tools they hold are narrowed wherever they are listed (`visible(engineer.held_tools(), …)`)."""
    rule = _RULES.get(qs.model)
    if rule is None or (site := site_of(user)) is None:
        return qs
    return qs.filter(rule(site))


def reaches_photo(user, photo: Photo) -> bool:
    """Whether `user` may read `photo`'s file (/media/, toolcrib/front/media.py): the uploader
    always, a user of every site always (no query), a limited user as `visible` says."""
    if photo.uploaded_by_id == user.pk or site_of(user) is None:
        return True
    return visible(Photo.objects.filter(pk=photo.pk), user).exists()


def check_reaches(user, tools: Iterable[ToolInstance], doing: str) -> None:
    """CribError, in words, when `user` is limited to a site and one of `tools` lives elsewhere.
    `doing`: what was refused ("issued", "returned"...), for the message."""
    site = site_of(user)
    if site is None:
        return
    tools = list(tools)
    away = sorted(str(t) for t in tools if t.site_id is not None and t.site_id != site.pk)
    homeless = sorted(str(t) for t in tools if t.site_id is None)
    if away:
        verb = "belongs" if len(away) == 1 else "belong"
        raise CribError(
            f"{', '.join(away)} {verb} to another site's crib; you work at {site.code}: "
            f"nothing was {doing}."
        )
    if homeless:
        verb = "has" if len(homeless) == 1 else "have"
        raise CribError(
            f"{', '.join(homeless)} {verb} no site; you work at {site.code}, and only its "
            f"tools are yours: nothing was {doing}."
        )
