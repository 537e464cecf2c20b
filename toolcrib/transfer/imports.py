"""Importing tool types, tool instances and engineers from a table: check every row (the
preview), then save all of them in one transaction or none.

A row is only ever added: a number, badge or type already in the crib is a problem of that row,
not an update. Each created record gets its own "created" audit event, as if added by hand, and
the import one "imported" event naming the file.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, models, transaction
from django.utils.text import slugify

from toolcrib.crib import audit, services, sites
from toolcrib.crib.errors import CribError
from toolcrib.crib.models import Engineer, Site, ToolInstance, ToolType
from toolcrib.transfer.tables import Table, column_key


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    example: str
    help: str


@dataclass
class Row:
    number: int
    values: dict[str, str]
    problems: list[str] = field(default_factory=list)


@dataclass
class Preview:
    """What an import would do: every row with its problems, or a problem of the whole file."""

    kind: "Kind"
    rows: list[Row]
    file_problem: str = ""

    @property
    def bad_rows(self) -> list[Row]:
        return [r for r in self.rows if r.problems]

    @property
    def ok(self) -> bool:
        return not self.file_problem and bool(self.rows) and not self.bad_rows


class Kind:
    slug = ""
    title = ""  # plural, as the page says it
    model: type[models.Model]
    perm = ""
    columns: tuple[Column, ...] = ()
    list_url = ""

    def preview(self, table: Table) -> Preview:
        known = {c.name for c in self.columns}
        missing = [c.name for c in self.columns if c.required and c.name not in table.columns]
        unknown = [c for c in table.columns if c and c not in known]
        empty = [i + 1 for i, c in enumerate(table.columns) if not c]
        rows = [Row(n, v) for n, v in table.rows]
        wrong = []
        if missing:
            wrong.append(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
        if unknown:
            wrong.append(f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
        if empty:
            wrong.append(f"column {empty[0]} has no name")
        if wrong:
            expected = ", ".join(c.name for c in self.columns)
            problem = (
                f"Row 1 (the header): {'; '.join(wrong)}. The columns of {self.title} are: "
                f"{expected}. Download the template."
            )
            return Preview(self, rows, problem)
        if not rows:
            return Preview(self, rows, f"The file has a header but no {self.title} below it.")
        for row in rows:
            row.values = {c.name: row.values.get(c.name, "").strip() for c in self.columns}
            for c in self.columns:
                if c.required and not row.values[c.name]:
                    row.problems.append(f"{c.name} is empty")
        self.check(rows)
        return Preview(self, rows)

    def check(self, rows: list[Row]) -> None:
        """Add each row's problems beyond empty required cells."""

    def build(self, values: dict[str, str]) -> models.Model:
        raise NotImplementedError

    def _unique(self, rows: list[Row], column: str, what: str) -> None:
        """Each value of `column` once in the file and not yet in the crib."""
        keys = [self.key(r.values[column]) for r in rows]
        first: dict[str, int] = {}
        counts = Counter(k for k in keys if k)
        taken = self.taken(column, set(counts))
        for row, k in zip(rows, keys):
            if not k:
                continue
            if counts[k] > 1:
                if k in first:
                    row.problems.append(
                        f"{what} {row.values[column]} is also on row {first[k]} of the file"
                    )
                else:
                    first[k] = row.number
            if k in taken:
                row.problems.append(f"{what} {row.values[column]} is already in the crib")

    @staticmethod
    def key(value: str) -> str:
        return value

    def taken(self, column: str, keys: set[str]) -> set[str]:
        """Which of these keys the crib has already (the column is the model's field)."""
        found = self.model._default_manager.filter(**{f"{column}__in": keys})
        return set(found.values_list(column, flat=True))


def _too_long(rows: list[Row], column: str, limit: int) -> None:
    for row in rows:
        if len(row.values[column]) > limit:
            row.problems.append(f"{column} is longer than {limit} characters")


class ToolTypes(Kind):
    slug = "tool-types"
    title = "tool types"
    model = ToolType
    perm = "crib.add_tooltype"
    list_url = "tool-types"
    columns = (
        Column("name", True, "Torque wrench 1/4 in", "The type's name, unique."),
        Column("description", False, "5-25 N·m, click type", "Optional."),
    )

    @staticmethod
    def key(value: str) -> str:
        return slugify(value)

    def check(self, rows: list[Row]) -> None:
        _too_long(rows, "name", 100)
        for row in rows:
            if row.values["name"] and not slugify(row.values["name"]):
                row.problems.append("name needs a letter or a digit")
        self._unique(rows, "name", "tool type")

    def taken(self, column: str, keys: set[str]) -> set[str]:
        return keys & _type_keys()

    def build(self, values: dict[str, str]) -> ToolType:
        return ToolType(
            name=values["name"], slug=slugify(values["name"]), description=values["description"]
        )


def _type_keys() -> set[str]:
    """A type is known by its slug and by its name (the model types' slugs are not their names')."""
    return {k for t in ToolType.objects.all() for k in (t.slug, slugify(t.name))}


# A status in a file: its value or its label, in any case ("in crib", "IN_CRIB").
STATUSES = {
    column_key(text): value
    for value, label in ToolInstance.Status.choices
    for text in (value, label)
}


# A tool's place in its site's crib, from the biggest to the smallest (ToolInstance).
PLACES = ("crib", "cabinet", "drawer", "bin")


class ToolInstances(Kind):
    slug = "tools"
    title = "tool instances"
    model = ToolInstance
    perm = "crib.add_toolinstance"
    list_url = "tools"
    columns = (
        Column("inventory_number", True, "AT-288293-6", "The number on the tool, unique."),
        Column(
            "tool_type", True, "Torque wrench 1/4 in", "A tool type's name, already in the crib."
        ),
        Column(
            "status",
            False,
            "in crib",
            "Empty for in crib; or broken, in calibration, retired, lost (never issued).",
        ),
        Column("calibration_due", False, "2027-06-30", "Empty, or a date YYYY-MM-DD."),
        Column("notes", False, "", "Optional."),
        Column("site", False, "RIX", "Optional: the code of a site already in the crib (Sites)."),
        *(Column(place, False, "", f"Optional: the tool's {place} at home.") for place in PLACES),
    )

    def check(self, rows: list[Row]) -> None:
        _too_long(rows, "inventory_number", 64)
        for place in PLACES:
            _too_long(rows, place, 50)
        sites = {site.code.casefold(): site for site in Site.objects.all()}
        for row in rows:
            code = row.values["site"]
            if code and code.casefold() not in sites:
                row.problems.append(f"unknown site “{code}” (add it under Sites first)")
        self._sites = sites
        types = {slugify(t.name): t for t in ToolType.objects.all()}
        types.update({t.slug: t for t in types.values()})
        for row in rows:
            v = row.values
            if v["tool_type"] and slugify(v["tool_type"]) not in types:
                row.problems.append(
                    f"unknown tool type “{v['tool_type']}” (add it under Tool types or import "
                    "tool types first)"
                )
            status = STATUSES.get(column_key(v["status"] or "in crib"))
            if status is None:
                known = ", ".join(label for _, label in ToolInstance.Status.choices)
                row.problems.append(f"unknown status “{v['status']}” (one of: {known})")
            elif status == ToolInstance.Status.ISSUED:
                row.problems.append("status issued: only an issue at the desk hands a tool out")
            if v["calibration_due"] and _date(v["calibration_due"]) is None:
                row.problems.append(
                    f"calibration_due “{v['calibration_due']}” is not a date (YYYY-MM-DD)"
                )
        self._unique(rows, "inventory_number", "inventory number")
        self._types = types

    def build(self, values: dict[str, str]) -> ToolInstance:
        tool = ToolInstance(
            inventory_number=values["inventory_number"],
            tool_type=self._types[slugify(values["tool_type"])],
            status=STATUSES[column_key(values["status"] or "in crib")],
            calibration_due=_date(values["calibration_due"]) if values["calibration_due"] else None,
            notes=values["notes"],
            site=self._sites[values["site"].casefold()] if values["site"] else None,
            **{place: values[place] for place in PLACES},
        )
        services.check_status_change(tool, ToolInstance.Status.IN_CRIB, tool.status)
        return tool


class Engineers(Kind):
    slug = "engineers"
    title = "engineers"
    model = Engineer
    perm = "crib.add_engineer"
    list_url = "engineers"
    columns = (
        Column("badge_number", True, "E1042", "The engineer's badge number, unique."),
        Column("name", True, "Ada Byrne", "Full name."),
        Column(
            "supervisor_email",
            False,
            "lead@example.org",
            "Optional: the address told when their tools are overdue.",
        ),
    )

    def check(self, rows: list[Row]) -> None:
        _too_long(rows, "badge_number", 32)
        _too_long(rows, "name", 200)
        for row in rows:
            if row.values["supervisor_email"]:
                try:
                    validate_email(row.values["supervisor_email"])
                except ValidationError:
                    row.problems.append(
                        f"supervisor_email “{row.values['supervisor_email']}” is not an address"
                    )
        self._unique(rows, "badge_number", "badge number")

    def build(self, values: dict[str, str]) -> Engineer:
        return Engineer(
            badge_number=values["badge_number"],
            name=values["name"],
            supervisor_email=values["supervisor_email"],
        )


# The advisory lock key that serialises imports (any constant unique to this use).
IMPORT_LOCK = 17_0001

KINDS: dict[str, type[Kind]] = {k.slug: k for k in (ToolTypes, ToolInstances, Engineers)}


def _date(text: str) -> datetime.date | None:
    for pattern in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def save(kind: Kind, rows: list[tuple[int, dict[str, str]]], *, user: User, filename: str) -> int:
    """Save the previewed rows, all or none. The rows are checked again inside the transaction
    (the crib may have changed since the preview); any problem saves nothing."""
    with audit.acting_as(user), transaction.atomic():
        # One import at a time: two admins saving overlapping files wait for each other.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])
        preview = kind.preview(Table(columns=[c.name for c in kind.columns], rows=rows))
        if not preview.ok:
            first = preview.bad_rows[0] if preview.bad_rows else None
            why = (
                f"row {first.number}: {'; '.join(first.problems)}"
                if first
                else preview.file_problem
            )
            raise CribError(f"The crib changed since the preview ({why}). Nothing was saved.")
        objects = [kind.build(r.values) for r in preview.rows]
        if kind.model is ToolInstance:  # an admin limited to a site adds only that site's tools
            sites.check_reaches(user, objects, "saved")
        try:
            with transaction.atomic():
                created = kind.model.objects.bulk_create(objects)
        except IntegrityError as e:  # someone added the same number meanwhile
            raise CribError(
                f"Another change added one of these {kind.title} meanwhile; nothing was saved. "
                "Upload the file again to see which."
            ) from e
        audit.created_in_bulk(created)
        audit.write(
            "imported",
            "import",
            kind.slug,
            f"{len(created)} {kind.title} from {filename}"[:200],
            after={"kind": kind.slug, "file": filename, "rows": len(created)},
        )
    return len(created)
