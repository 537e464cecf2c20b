"""What the issue and return pages post: the engineer, the photo, and one line per tool.

The box editor fills `lines` with JSON: [{"box": [x0, y0, x1, y1] | null,
"inventory_number": "AT-1" (issue only), ...what recognition said, kept for a redisplay}].
"""

from dataclasses import dataclass
from uuid import uuid4

from django import forms

from toolcrib.crib.models import Engineer, Photo
from toolcrib.front.pick import EngineerField, engineer_choice
from toolcrib.lib.json_limits import JSONFormField


class KitForm(forms.Form):
    engineer = EngineerField()
    photo = forms.ModelChoiceField(Photo.objects.all(), required=False, widget=forms.HiddenInput)
    lines = JSONFormField(required=False, widget=forms.HiddenInput)
    # A double click or a retried post must not issue or return twice.
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)

    def __init__(self, data=None, *, engineer=""):
        super().__init__(
            data, initial={"idempotency_key": uuid4().hex, "lines": [], "engineer": engineer}
        )

    def clean_lines(self):
        lines = self.cleaned_data["lines"] or []
        if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
            raise forms.ValidationError("The list of tools could not be read; reload the page.")
        return lines

    def clean(self):
        data = super().clean()
        if any(line.get("box") for line in data.get("lines") or []) and not data.get("photo"):
            self.add_error(
                None, "The boxes belong to a photo that did not arrive: take the photo again."
            )
        return data

    def boxed(self):
        return [line for line in self.cleaned_data["lines"] if line.get("box")]

    def scanned(self) -> list[str]:
        """Numbers scanned at the desk (lines without a box that the scanner field added)."""
        return [
            str(line.get("inventory_number") or "").strip()
            for line in self.cleaned_data["lines"]
            if not line.get("box") and line.get("scanned") is True
        ]

    def editor_state(self):
        """What the box editor shows again after a refusal: the same photo, boxes and picks."""
        data = getattr(self, "cleaned_data", None) or {}
        photo = data.get("photo")
        lines = data.get("lines") if "lines" in data else None
        return {"photo": photo_json(photo) if photo else None, "lines": lines or []}


def photo_json(photo):
    return {"id": photo.pk, "url": photo.image.url, "width": photo.width, "height": photo.height}


@dataclass(frozen=True)
class EngineerChoice:
    """One entry of the engineer pick list: shown as its text; its id lets the return page
    tell the proposer whose tools, hence how many, to look for."""

    text: str
    id: int

    def __str__(self) -> str:
        return self.text


def engineer_choices() -> list[EngineerChoice]:
    return [EngineerChoice(engineer_choice(e), e.pk) for e in Engineer.objects.filter(active=True)]
