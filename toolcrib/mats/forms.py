"""The forms of the mat pages: the slot editor, and the engineer + photo of an issue or return."""

from uuid import uuid4

from django import forms
from django.forms.utils import pretty_name

from inference import mats
from toolcrib.crib.models import Photo, ToolInstance, ToolType
from toolcrib.front.pick import EngineerField
from toolcrib.front.returns import ReturnForm
from toolcrib.mats.services import SlotSpec

PAPER_CHOICES = [(p, f"{p} ({w:.0f} x {h:.0f} mm)") for p, (w, h) in mats.PAPERS.items()]


class DesignForm(forms.Form):
    name = forms.CharField(max_length=100)
    paper = forms.ChoiceField(choices=PAPER_CHOICES, initial="A3")
    photo = forms.ModelChoiceField(Photo.objects.all(), required=False, widget=forms.HiddenInput)


class SlotForm(forms.Form):
    """One slot as a rectangle: centre, length along the tool, width across, angle."""

    label = forms.CharField(max_length=20)
    tool_type = forms.ModelChoiceField(ToolType.objects.all())
    tool_instance = forms.CharField(
        max_length=64, required=False, help_text="Inventory number, for a fixed set."
    )
    cx = forms.FloatField(label="centre x (mm)")
    cy = forms.FloatField(label="centre y (mm)")
    length = forms.FloatField(label="length (mm)", min_value=5, max_value=700)
    width = forms.FloatField(label="width (mm)", min_value=5, max_value=500)
    angle = forms.FloatField(label="angle (°)", min_value=-360, max_value=360, initial=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The table's cells have no <label>: each input names its column and row.
        row = self.prefix.rsplit("-", 1)[-1] if self.prefix else ""
        where = f" of row {int(row) + 1}" if row.isdigit() else ""
        for name, field in self.fields.items():
            field.widget.attrs["aria-label"] = f"{field.label or pretty_name(name)}{where}"

    def clean_tool_instance(self):
        number = self.cleaned_data["tool_instance"].strip()
        if not number:
            return None
        tool = ToolInstance.objects.filter(inventory_number__iexact=number).first()
        if tool is None:
            raise forms.ValidationError(f"No tool numbered {number} in the crib.")
        return tool

    def spec(self) -> SlotSpec:
        d = self.cleaned_data
        return SlotSpec(
            d["label"], d["tool_type"], d["cx"], d["cy"], d["length"], d["width"], d["angle"],
            d["tool_instance"],
        )  # fmt: skip


class BaseSlotFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        where = f" of row {index + 1}" if index is not None else ""
        form.fields["DELETE"].widget.attrs["aria-label"] = f"Delete{where}"


SlotFormSet = forms.formset_factory(
    SlotForm, formset=BaseSlotFormSet, extra=2, can_delete=True, max_num=60
)


def slot_initial(specs: list[SlotSpec]) -> list[dict]:
    return [
        {
            "label": s.label,
            "tool_type": s.tool_type.pk if s.tool_type else None,
            "tool_instance": s.tool_instance.inventory_number if s.tool_instance else "",
            "cx": round(s.cx, 1),
            "cy": round(s.cy, 1),
            "length": round(s.length, 1),
            "width": round(s.width, 1),
            "angle": round(s.angle, 1),
        }
        for s in specs
    ]


class MatPhotoForm(forms.Form):
    """An issue or a return on a mat: who, and one photo of the mat (no boxes to draw)."""

    engineer = EngineerField()
    photo = forms.ImageField(
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"})
    )
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)

    def __init__(self, data=None, files=None):
        super().__init__(data, files, initial={"idempotency_key": uuid4().hex})


class MatReturnForm(MatPhotoForm):
    """A return on a mat also says what it ends, as the photo return page does: a normal return
    leaves the engineer's tools that are not on the mat with them; the end of the shift or the
    job sends them to a recount (an empty slot goes to a recount either way)."""

    ends = ReturnForm.base_fields["ends"]
