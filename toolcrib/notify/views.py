"""Each user's own page: the address notices go to, and which kinds they receive."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render

from toolcrib.crib import audit
from toolcrib.notify import notices
from toolcrib.notify.models import Choice, Kind, Notice


class ChoicesForm(forms.Form):
    email = forms.EmailField(required=False, label="Email address")

    def __init__(self, *args, defaults, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in Kind:
            label = kind.label[0].upper() + kind.label[1:]
            if kind in defaults:
                label += " (your role's default)"
            self.fields[kind.value] = forms.BooleanField(required=False, label=label)


@login_required
def choices(request):
    user = request.user
    defaults = notices.role_defaults(user)
    initial = {"email": user.email, **{k.value: k in notices.wanted(user) for k in Kind}}
    form = ChoicesForm(request.POST or None, initial=initial, defaults=defaults, label_suffix="")
    if request.method == "POST" and form.is_valid():
        with audit.acting_as(user), transaction.atomic():
            if form.cleaned_data["email"] != user.email:
                user.email = form.cleaned_data["email"]
                user.save(update_fields=["email"])
            for kind in Kind:
                Choice.objects.update_or_create(
                    user=user, kind=kind.value, defaults={"wanted": form.cleaned_data[kind.value]}
                )
        messages.success(request, "Your notifications are saved.")
        return redirect("notifications")
    recent = Notice.objects.filter(recipient=user.email)[:20] if user.email else []
    # Whoever manages users sees the notices a mail server refused, still pending.
    unsent = (
        Notice.objects.filter(sent_at=None, attempts__gt=0)[:50]
        if user.has_perm("auth.change_user")
        else []
    )
    return render(
        request, "notify/choices.html", {"form": form, "recent": recent, "unsent": unsent}
    )
