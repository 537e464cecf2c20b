"""JSON read from the outside, with limits: nested too deep or too large is refused with a
message, never a RecursionError (a 500) and never a body read whole into memory.

Every JSON that enters goes through `loads`: API bodies (`LimitedJSONParser`), JSON text in form
fields (the boxes of a multipart upload, the box editor's lines) and the enrolment box.
"""

import json

from django import forms
from django.conf import settings
from django.forms.fields import InvalidJSONInput, JSONString


class JSONRefused(ValueError):
    """JSON the crib will not read; the message says why, fit to show the user."""


def max_bytes() -> int:
    return settings.TOOLCRIB_MAX_JSON_KB * 1024


def loads(text: str | bytes, *, what: str = "The JSON"):
    """Parse JSON text within the crib's depth and size limits."""
    if len(text) > max_bytes():
        raise JSONRefused(f"{what} is larger than {settings.TOOLCRIB_MAX_JSON_KB} KB.")
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        # Deeper than Python's own parser can go: far past our limit anyway.
        value = _TOO_DEEP
    except ValueError as e:
        raise JSONRefused(f"{what} could not be read: {e}.") from None
    if value is _TOO_DEEP or depth(value) > settings.TOOLCRIB_MAX_JSON_DEPTH:
        raise JSONRefused(
            f"{what} is nested deeper than {settings.TOOLCRIB_MAX_JSON_DEPTH} levels."
        )
    return value


_TOO_DEEP = object()


def _no_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def depth(value) -> int:
    """How many lists and objects deep a parsed value goes; counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in item)
    return deepest


class JSONFormField(forms.JSONField):
    """A form's JSON field within the limits (Django's own parses any depth: a RecursionError,
    a 500)."""

    def to_python(self, value):
        if not isinstance(value, str) or value in self.empty_values:
            return super().to_python(value)
        try:
            value = loads(value, what="This field")
        except JSONRefused as e:
            raise forms.ValidationError(str(e), code="invalid") from None
        return JSONString(value) if isinstance(value, str) else value

    def bound_data(self, data, initial):
        if isinstance(data, str):
            try:
                loads(data)
            except JSONRefused:
                return InvalidJSONInput(data)
        return super().bound_data(data, initial)
