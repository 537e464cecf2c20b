"""Kit mats in the crib: design and save templates, read a mat photo, issue and return on a mat.

Tool states change only through toolcrib/crib/services.py (issue_tools, return_tools); this
module adds what the mat saw, slot by slot. Bad input raises CribError with a message fit to
show the user, and nothing is recorded.
"""

from dataclasses import dataclass
from dataclasses import field as dc_field

import cv2
import numpy as np
from django.db import transaction

from inference import mats, runtime
from toolcrib.crib import audit, marking_reader, services
from toolcrib.crib.markings import Check, Outcome, compare
from toolcrib.crib.models import (
    CribSettings,
    Engineer,
    Issue,
    Photo,
    Return,
    ToolInstance,
    ToolType,
    still_out,
)
from toolcrib.crib.services import CribError, ToolLine
from toolcrib.mats.models import Installation, MatReading, MatSlot, MatTemplate, SlotOutcome

BLANK_TEMPLATE_ID = 0  # the code of a blank mat (markers only), printed for designing
SLOT_MARGIN_MM = 6.0  # a proposed outline lies this far around the tool


@dataclass
class SlotSpec:
    """A slot as the admin edits it: a rectangle (centre, length, width, angle) in mm."""

    label: str
    tool_type: ToolType
    cx: float
    cy: float
    length: float
    width: float
    angle: float = 0.0
    tool_instance: ToolInstance | None = None

    @property
    def outline(self) -> tuple:
        return mats.rectangle(self.cx, self.cy, self.length, self.width, self.angle)

    def as_slot(self) -> mats.Slot:
        number = self.tool_instance.inventory_number if self.tool_instance else ""
        return mats.Slot(self.label, self.tool_type.name, self.outline, self.angle, number)

    @classmethod
    def of(cls, slot: MatSlot) -> "SlotSpec":
        """The rectangle of a stored slot (its outline's centre and extent along its angle)."""
        pure = slot.as_slot()
        length, width = pure.extent()
        cx, cy = pure.centre
        return cls(
            slot.label, slot.tool_type, cx, cy, length, width, slot.angle, slot.tool_instance
        )


def _photo_bytes(photo: Photo) -> bytes:
    with photo.image.open("rb") as f:
        return f.read()


def blank_template(paper: str) -> mats.Template:
    """A mat with markers and code but no slots: lay the kit on it to design a template."""
    code = mats.code_text(Installation.current(), BLANK_TEMPLATE_ID, 0)
    return mats.Template(f"Blank {paper} mat for designing a kit", 0, paper, (), code)


# --- design -----------------------------------------------------------------------------------


def _design_view(photo: Photo, paper: str) -> tuple[mats.MatView, str]:
    """The design photo in mat millimetres: from the markers when it shows a (blank) mat,
    otherwise the photo is taken to cover the paper exactly (a table photographed from above)."""
    data = _photo_bytes(photo)
    try:
        view = mats.read_mat(data)
    except mats.MatError:
        work, scale, size = mats.decode(data)
        w, h = mats.PAPERS[paper]
        to_mat = np.diag([w / work.shape[1], h / work.shape[0], 1.0])
        view = mats.MatView(paper, to_mat, work, scale, size, [], 0, None, 0.0)
        return view, (
            "No mat markers in the design photo: the photo is taken as the whole "
            f"{paper} sheet, seen from straight above. Check the slots' sizes before printing."
        )
    if view.paper != paper:
        raise CribError(
            f"The design photo shows an {view.paper} mat but the template is {paper}: "
            "choose the same paper."
        )
    return view, "Slots proposed from the mat's markers."


def propose_slots(photo: Photo, paper: str) -> tuple[list[SlotSpec], str]:
    """One slot per tool on a design photo: a rectangle around the tool's mask, along its
    axis, and the model's type for it (the admin then moves, turns, deletes and adds)."""
    if paper not in mats.PAPERS:
        raise CribError(f"Choose a paper size: {', '.join(mats.PAPERS)}.")
    view, note = _design_view(photo, paper)
    specs = [
        _inside(
            SlotSpec(
                "",
                None,
                *p.centre,
                p.length + 2 * SLOT_MARGIN_MM,
                p.width + 2 * SLOT_MARGIN_MM,
                round(p.angle, 1),
            ),
            paper,
        )  # fmt: skip
        for p in mats.propose(view)
    ]
    types = _types_of(view, specs)
    for n, (spec, tool_type) in enumerate(zip(specs, types), start=1):
        spec.label = str(n)
        spec.tool_type = tool_type
    return specs, note


def _inside(spec: SlotSpec, paper: str) -> SlotSpec:
    """A proposed slot, rounded to 0.1 mm and moved into the free area when its margin
    reaches past it."""
    x0, y0, x1, y1 = mats.inner_area(paper)
    spec.length, spec.width = round(spec.length, 1), round(spec.width, 1)
    xs, ys = zip(*spec.outline)
    spec.cx += max(0.0, x0 - min(xs)) - max(0.0, max(xs) - x1)
    spec.cy += max(0.0, y0 - min(ys)) - max(0.0, max(ys) - y1)
    spec.cx, spec.cy = round(spec.cx, 1), round(spec.cy, 1)
    return spec


def _types_of(view: mats.MatView, specs: list[SlotSpec]) -> list[ToolType | None]:
    model = runtime.get_model()
    if model is None or not specs:
        return [None] * len(specs)
    inputs = mats.slot_model_inputs(
        view, [sp.as_slot() if sp.tool_type else _untyped(sp) for sp in specs]
    )
    p, _ = mats.slot_model_outputs(model, inputs)
    kit = {t.model_class_index: t for t in ToolType.objects.exclude(model_class_index=None)}
    return [kit.get(int(np.argmax(row))) for row in p] if p is not None else [None] * len(specs)


def _untyped(spec: SlotSpec) -> mats.Slot:
    return mats.Slot(spec.label, "", spec.outline, spec.angle)


def save_template(
    *, name: str, paper: str, slots: list[SlotSpec], user, design_photo: Photo | None = None
) -> MatTemplate:
    """A new version of the named template (version 1 for a new name). Each slot's reference
    is its crop on the design photo, when there is one and the model is on."""
    name = (name or "").strip()
    if not name:
        raise CribError("Give the kit mat a name.")
    if paper not in mats.PAPERS:
        raise CribError(f"Choose a paper size: {', '.join(mats.PAPERS)}.")
    if not slots:
        raise CribError("A kit mat needs at least one slot.")
    labels = [s.label for s in slots]
    twice = sorted({n for n in labels if labels.count(n) > 1})
    if twice or any(not n for n in labels):
        raise CribError(f"Each slot needs its own label; repeated: {', '.join(twice) or 'blank'}.")
    numbers = [s.tool_instance.pk for s in slots if s.tool_instance]
    if len(numbers) != len(set(numbers)):
        raise CribError("A tool instance can have only one slot on a mat.")
    for s in slots:
        if s.tool_instance and s.tool_instance.tool_type_id != s.tool_type.pk:
            raise CribError(
                f"Slot {s.label}: {s.tool_instance} is a {s.tool_instance.tool_type}, "
                f"not a {s.tool_type}."
            )
        if not (5 <= s.length <= 700 and 5 <= s.width <= 500):
            raise CribError(f"Slot {s.label}: length and width are 5 to 700 mm.")
    problems = mats.check_slots(mats.Template(name, 0, paper, tuple(s.as_slot() for s in slots)))
    if problems:
        raise CribError(" ".join(problems))
    references, sha = [None] * len(slots), ""
    designs: list = [None] * len(slots)
    if design_photo is not None:
        view, _ = _design_view(design_photo, paper)
        pure = [s.as_slot() for s in slots]
        looked = mats.look(view, mats.Template(name, 0, paper, tuple(pure)))
        designs = [(s.presence, s.spill) for s in looked.slots]
        model = runtime.get_model()
        if model is not None:
            _, features = mats.slot_model_outputs(model, mats.slot_model_inputs(view, pure))
            references, sha = list(features), model.sha256
    with audit.acting_as(user), transaction.atomic():
        last = (
            MatTemplate.objects.select_for_update().filter(name=name).order_by("-version").first()
        )
        template = MatTemplate.objects.create(
            name=name,
            version=(last.version + 1) if last else 1,
            paper=paper,
            design_photo=design_photo,
            created_by=user if user and user.is_authenticated else None,
        )
        for spec, reference, design in zip(slots, references, designs):
            MatSlot.objects.create(
                template=template,
                label=spec.label,
                tool_type=spec.tool_type,
                tool_instance=spec.tool_instance,
                outline=[list(p) for p in spec.outline],
                angle=spec.angle,
                reference=reference,
                model_sha256=sha if reference is not None else "",
                design_presence=design[0] if design else None,
                design_spill=design[1] if design else None,
            )
        audit.record(
            "mat saved",
            template,
            after={"name": name, "version": template.version, "paper": paper, "slots": labels},
        )
    return template


# --- reading a mat photo ----------------------------------------------------------------------


@dataclass
class Reading:
    template: MatTemplate
    view: mats.MatView
    slots: list[mats.SlotJudgement]
    stored: list[MatSlot]
    foreign: list[mats.Foreign]
    # What each slot's marking says (crib/markings.compare), once read_slot_markings has run.
    markings: list[Check | None] = dc_field(default_factory=list)


def read(data: bytes, *, for_return: bool = False, engineer: Engineer | None = None) -> Reading:
    """Which mat is in the photo, and each slot's state. CribError says why a photo is refused:
    not a mat, too few markers, blurred, another installation's mat, unknown or superseded."""
    try:
        view = mats.read_mat(data)
    except mats.MatError as e:
        raise CribError(str(e)) from None
    code = mats.parse_code(view.code or "")
    if code is None or code.installation != Installation.current():
        raise CribError(
            "This mat was printed by another Toolcrib installation (its code is not ours): "
            "use this crib's own mats."
        )
    if code.template_id == BLANK_TEMPLATE_ID:
        raise CribError(
            "This is a blank mat for designing kit mats, not a kit's mat: photograph the "
            "kit on its own printed mat."
        )
    template = MatTemplate.objects.filter(pk=code.template_id, version=code.version).first()
    if template is None:
        raise CribError("This mat's template is unknown here (deleted or never saved).")
    if template.paper != view.paper:
        raise CribError(
            f"This mat's code says {template.paper} but its markers are {view.paper}'s: it was "
            "printed wrongly. Print it again from Toolcrib at 100 %."
        )
    if template.superseded and not (for_return and _issued_on(template, engineer)):
        latest = template.latest()
        raise CribError(
            f"This is version {template.version} of the mat {template.name}; version "
            f"{latest.version} replaced it. Print the new version and lay the kit on it."
        )
    stored = list(template.slots.select_related("tool_type", "tool_instance"))
    pure = template.as_template()
    seen = mats.look(view, pure)
    try:
        mats.check_scale(mats.print_scale(seen.slots, [s.design_presence for s in stored]))
    except mats.MatError as e:
        raise CribError(str(e)) from None
    model = runtime.get_model()
    p, features = None, np.zeros((0, 512), np.float32)
    if model is not None:
        present = [s.slot for s in seen.slots if s.present]
        p, features = mats.slot_model_outputs(model, mats.slot_model_inputs(view, present))
    references = [
        None
        if model is None or s.reference is None or s.model_sha256 != model.sha256
        else np.asarray(s.reference, np.float32)
        for s in stored
    ]
    expected = [s.tool_type.model_class_index for s in stored]
    judged = mats.judge(seen.slots, p, features, expected, references, [s.design for s in stored])
    return Reading(template, view, judged, stored, seen.foreign)


def read_slot_markings(reading: Reading, photo: Photo, engineer: Engineer | None) -> None:
    """Read the marking of the tool in each filled slot (kept with the photo, so the issue or
    return that follows reads none again) and let it decide, as on a photo return: the slot's
    own tool's number confirms it in place, whatever it looks like; another crib tool's number
    says a wrong tool lies there. A slot for any tool of its type is confirmed by the number of
    a tool of that type. An unknown number or nothing read leaves the slot as it was seen."""
    filled = [i for i, j in enumerate(reading.slots) if j.state != "empty"]
    reading.markings = [None] * len(reading.slots)
    if not filled:
        return
    patterns, min_partial = rules = CribSettings.current().marking_rules()
    read = marking_reader.read_now(photo, [reading.slots[i].photo_box for i in filled], rules)
    held = (
        []
        if engineer is None
        else list(engineer.held_tools().values_list("tool_instance__inventory_number", flat=True))
    )
    crib = dict(ToolInstance.objects.values_list("inventory_number", "tool_type_id"))
    for i, marking in zip(filled, read):
        judged, slot = reading.slots[i], reading.stored[i]
        own = slot.tool_instance.inventory_number if slot.tool_instance else ""
        check = compare(
            marking,
            issued=own or "-",  # "-": no tool of its own, so nothing but a full number names one
            held=held,
            crib=crib,
            patterns=patterns,
            min_partial=min_partial,
        )
        if not own and check.outcome == Outcome.SWAPPED and check.names in crib:
            same_type = crib[check.names] == slot.tool_type_id
            outcome = Outcome.CONFIRMED if same_type else Outcome.SWAPPED
            check = Check(outcome, check.number, check.source, check.message, check.names)
        elif not own and check.outcome != Outcome.NOT_READ:
            check = Check(Outcome.UNKNOWN, check.number, check.source, check.message)
        reading.markings[i] = check
        if check.outcome == Outcome.CONFIRMED:
            judged.state = "present"
        elif check.outcome == Outcome.SWAPPED:
            judged.state = "wrong"
    # A slot whose own tool's number was read in another slot holds some other tool.
    named = {c.names: i for i, c in enumerate(reading.markings) if c is not None and c.names}
    for i, (judged, slot) in enumerate(zip(reading.slots, reading.stored)):
        own = slot.tool_instance.inventory_number if slot.tool_instance else ""
        if judged.state == "present" and named.get(own, i) != i:
            judged.state = "wrong"


def _issued_on(template: MatTemplate, engineer: Engineer | None) -> bool:
    """Whether the engineer still holds tools issued on this mat version."""
    return (
        engineer is not None
        and MatReading.objects.filter(
            still_out("issue__tools__"), template=template, issue__engineer=engineer
        ).exists()
    )


def _record(reading: Reading, photo: Photo, **target) -> MatReading:
    stored = MatReading.objects.create(
        template=reading.template,
        photo=photo,
        markers_seen=len(reading.view.markers_seen),
        foreign=[[round(v, 1) for v in f.box_mm] for f in reading.foreign],
        **target,
    )
    kit = {t.model_class_index: t for t in ToolType.objects.exclude(model_class_index=None)}
    checks = reading.markings or [None] * len(reading.slots)
    for judged, slot, check in zip(reading.slots, reading.stored, checks):
        SlotOutcome.objects.create(
            reading=stored,
            slot=slot,
            state=judged.state,
            presence=judged.presence,
            seen_type=kit.get(judged.seen_class) if judged.seen_class is not None else None,
            match_percent=judged.match_percent,
            looks_like=reading.stored[judged.looks_like] if judged.looks_like is not None else None,
            marking=check.number if check else "",
            marking_check=check.outcome if check else "",
            marking_names=check.names if check else "",
        )
    return stored


# --- issue and return -------------------------------------------------------------------------


def issue_on_mat(
    *, engineer: Engineer, storekeeper, data: bytes, idempotency_key: str | None = None
) -> Issue:
    """Issue the tools lying in their slots of a mat photo (its bytes; the photo is kept only
    when the issue is made). An empty slot is simply not issued; a wrong tool in a slot stops
    the issue (put each tool in its own outline)."""
    if idempotency_key:
        earlier = Issue.objects.filter(idempotency_key=idempotency_key).first()
        if earlier:
            return services.issue_tools(
                engineer=engineer,
                storekeeper=storekeeper,
                lines=[],
                idempotency_key=idempotency_key,
            )
    reading = read(data)
    # A refusal after the photo is stored rolls its row back and deletes its file.
    with services.photos_kept_only_if_done(), transaction.atomic():
        photo = services.store_photo(data, user=storekeeper)
        read_slot_markings(reading, photo, None)
        wrong = [i for i, j in enumerate(reading.slots) if j.state == "wrong"]
        if wrong:
            raise CribError(
                "Wrong tool in slot "
                + ", ".join(_wrong_words(i, reading) for i in wrong)
                + ": put each tool in its own outline and retake. Nothing was issued."
            )
        present = [(j, s) for j, s in zip(reading.slots, reading.stored) if j.state == "present"]
        if not present:
            raise CribError("Every slot on the mat is empty: nothing to issue.")
        lines = [
            ToolLine(slot.tool_instance or _tool_for(slot, photo, j.photo_box), photo, j.photo_box)
            for j, slot in present
        ]
        issue = services.issue_tools(
            engineer=engineer, storekeeper=storekeeper, lines=lines, idempotency_key=idempotency_key
        )
        if not hasattr(issue, "mat_reading"):
            _record(reading, photo, issue=issue)
    return issue


def _wrong_words(i: int, reading: Reading) -> str:
    judged, check = reading.slots[i], _check(reading, i)
    words = f"{judged.slot.label} ({judged.slot.tool_type})"
    if check is not None and check.outcome == Outcome.SWAPPED:
        words += f": its marking reads {check.names}"
    elif judged.looks_like is not None and judged.looks_like != i:
        other = reading.stored[judged.looks_like]
        words += f": it looks like slot {other.label}'s {other.tool_type}"
    return words


def _check(reading: Reading, i: int) -> Check | None:
    return reading.markings[i] if reading.markings else None


def _tool_for(slot: MatSlot, photo: Photo, box) -> ToolInstance:
    """A slot for any tool of its type: the enrolled tool in the crib that looks most like it."""
    from toolcrib.crib.recognition import recognise_photo

    [seen] = recognise_photo(photo, [box], in_crib_only=True, read=False)
    for candidate in seen.instances:
        tool = ToolInstance.objects.get(pk=candidate.tool_instance_id)
        if tool.tool_type_id == slot.tool_type_id:
            return tool
    raise CribError(
        f"Slot {slot.label} ({slot.tool_type}) names no tool of its own and no enrolled "
        f"{slot.tool_type} in the crib looks like it: issue it by photo or by number."
    )


def return_on_mat(
    *,
    engineer: Engineer,
    desk_user,
    data: bytes,
    idempotency_key: str | None = None,
    ends: str = Return.Ends.NOTHING,
) -> Return:
    """Take a kit back on its mat. Whatever lies in its own slot is matched to what the engineer
    holds (crib services.return_tools). A slot's tool that is not in it goes straight to a
    manual recount: its slot is empty, or another tool lies there (that one is an extra line:
    the desk says what it is). `ends`: what the return ends (nothing, the shift, the job), as
    on the photo return page: tools of the engineer's not on the mat stay out or go to a
    recount by it."""
    if idempotency_key:
        earlier = Return.objects.filter(idempotency_key=idempotency_key).first()
        if earlier:
            return services.return_tools(
                engineer=engineer,
                desk_user=desk_user,
                sightings=[],
                idempotency_key=idempotency_key,
            )
    reading = read(data, for_return=True, engineer=engineer)
    with services.photos_kept_only_if_done(), transaction.atomic():
        photo = services.store_photo(data, user=desk_user)
        read_slot_markings(reading, photo, engineer)
        held = set(engineer.held_tools().values_list("tool_instance__inventory_number", flat=True))
        sightings, out_of_place, not_in_slot = _slot_lines(reading, photo, held)
        tool_return = services.return_tools(
            engineer=engineer,
            desk_user=desk_user,
            sightings=sightings,
            idempotency_key=idempotency_key,
            not_in_slot=not_in_slot,
            out_of_place=out_of_place,
            ends=ends,
        )
        if not hasattr(tool_return, "mat_reading"):
            _record(reading, photo, tool_return=tool_return)
    return tool_return


def on_mat(
    purpose: str,
    *,
    engineer: Engineer,
    user,
    data: bytes,
    idempotency_key: str | None = None,
    ends: str = Return.Ends.NOTHING,
) -> Issue | Return:
    """Issue or return on a mat photo, as the page or the API asked (`purpose`)."""
    if purpose == "issue":
        return issue_on_mat(
            engineer=engineer, storekeeper=user, data=data, idempotency_key=idempotency_key
        )
    return return_on_mat(
        engineer=engineer, desk_user=user, data=data, idempotency_key=idempotency_key, ends=ends
    )


def _slot_lines(
    reading: Reading, photo: Photo, held: set[str]
) -> tuple[list, list, dict[int, str]]:
    """What return_tools is given for a mat photo: the crops of tools in their own slots, or
    named by their marking as one the engineer holds (to match: the marking decides there),
    the crops of other tools lying in another's slot (extra lines, with where they lie), and the
    tools whose slot is empty or taken and whose marking was read in no slot (to a recount,
    with why)."""
    sightings, out_of_place, not_in_slot = [], [], {}
    named = {c.names for c in reading.markings if c is not None and c.names}
    for i, (judged, slot) in enumerate(zip(reading.slots, reading.stored)):
        check = _check(reading, i)
        if judged.state == "present" or (check is not None and check.names in held):
            sightings.append((photo, judged.photo_box))
        elif judged.state == "wrong":
            belongs = slot.tool_instance or f"a {slot.tool_type}"
            why = f"lies in slot {slot.label} of the kit mat, where {belongs} belongs"
            if check is not None and check.names:
                why += f"; its marking reads {check.names}"
            elif judged.looks_like is not None and judged.looks_like != i:
                other = reading.stored[judged.looks_like]
                why += (
                    f"; it looks like slot {other.label}'s {other.tool_instance or other.tool_type}"
                )
            out_of_place.append((photo, judged.photo_box, why))
        if (
            judged.state != "present"
            and slot.tool_instance_id
            and slot.tool_instance.inventory_number not in named
        ):
            not_in_slot[slot.tool_instance_id] = (
                "its slot on the kit mat is empty"
                if judged.state == "empty"
                else f"another tool lies in its slot ({slot.label}) on the kit mat"
            )
    return sightings, out_of_place, not_in_slot


def slot_rows(reading: MatReading) -> list[dict]:
    """The slot-by-slot outcome, as the pages, the API and the reports show it."""
    template = reading.template
    rows = []
    for outcome in reading.slots.select_related(
        "slot__tool_type", "slot__tool_instance", "seen_type", "looks_like__tool_instance"
    ):
        slot = outcome.slot
        if outcome.marking_names:  # the tool's own number, read off it
            seen = outcome.marking_names
        elif outcome.state == "present":
            seen = slot.tool_instance.inventory_number if slot.tool_instance else None
        elif outcome.state == "wrong" and outcome.looks_like is not None:
            like = outcome.looks_like
            seen = (
                like.tool_instance.inventory_number if like.tool_instance else str(like.tool_type)
            )
        else:
            seen = None
        rows.append(
            {
                "template": template.name,
                "version": template.version,
                "slot": slot.label,
                "expected_type": str(slot.tool_type),
                "expected_tool": slot.tool_instance.inventory_number
                if slot.tool_instance
                else None,
                "state": outcome.state,
                "seen_tool": seen,
                "seen_type": str(outcome.seen_type) if outcome.seen_type else None,
                "presence": round(outcome.presence, 3),
                "match_percent": outcome.match_percent,
                "marking": outcome.marking or None,
                "marking_check": outcome.marking_check or None,
            }
        )
    return rows


def reading_json(reading: MatReading) -> dict:
    """A mat reading as the API and the issue and return reports give it."""
    return {
        "id": reading.pk,
        "template": reading.template.name,
        "version": reading.template.version,
        "issue": reading.issue_id,
        "return": reading.tool_return_id,
        "markers_seen": reading.markers_seen,
        "foreign": reading.foreign,
        "slots": slot_rows(reading),
    }


def mat_picture(reading: MatReading, *, side: int = 1400) -> bytes:
    """The mat straightened from the photo, each slot coloured by its state (PNG)."""
    try:
        view = mats.read_mat(_photo_bytes(reading.photo))
    except mats.MatError as e:
        raise CribError(str(e)) from None
    image = view.rectified().copy()
    overlay = image.copy()
    s = mats.PX_PER_MM
    colours = {"present": (40, 160, 70), "empty": (220, 30, 30), "wrong": (235, 150, 0)}
    for outcome in reading.slots.select_related("slot"):
        pts = (np.asarray(outcome.slot.outline) * s).round().astype(np.int32)
        cv2.fillPoly(overlay, [pts], colours[outcome.state])
        cv2.polylines(image, [pts], True, colours[outcome.state], 3)
    for x0, y0, x1, y1 in reading.foreign:
        p0, p1 = (round(x0 * s), round(y0 * s)), (round(x1 * s), round(y1 * s))
        cv2.rectangle(image, p0, p1, (150, 0, 200), 3)
    image = cv2.addWeighted(overlay, 0.35, image, 0.65, 0)
    f = min(1.0, side / max(image.shape[:2]))
    if f < 1:
        image = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    ok, png = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return png.tobytes()
