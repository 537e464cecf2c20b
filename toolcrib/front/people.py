"""The admin's people pages: users with their role, and editing an engineer."""

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from toolcrib.crib import people, roles, sites
from toolcrib.crib.errors import CribError
from toolcrib.crib.models import Engineer, Site
from toolcrib.front import access

ROLE_CHOICES = [(r, r) for r in roles.ROLE_PERMISSIONS]
ONE_TIME = "Leave empty for a one-time password, shown once."


class NewUserForm(forms.Form):
    username = forms.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    role = forms.ChoiceField(choices=ROLE_CHOICES)
    password = forms.CharField(
        required=False, widget=forms.PasswordInput, help_text=ONE_TIME, strip=False
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)


class SiteForm(forms.Form):
    site = forms.ModelChoiceField(
        Site.objects.all(),
        required=False,
        empty_label="every site",
        help_text="A user given a site sees and acts only on that site's tools.",
    )


class PasswordForm(forms.Form):
    password = forms.CharField(
        required=False, widget=forms.PasswordInput, help_text=ONE_TIME, strip=False
    )


def _show_password(request, user, password, given):
    if given:
        messages.success(request, f"Password set for {user.username}.")
    else:
        messages.success(
            request,
            f"One-time password for {user.username}: {password} — give it to them now; "
            "it is not shown again.",
        )


@access.needs(access.USERS)
def users(request):
    form = NewUserForm(request.POST or None, label_suffix="")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, password = people.create_user(
                data["username"], data["role"], by=request.user, password=data["password"]
            )
        except CribError as e:
            form.add_error(None, str(e))
        else:
            _show_password(request, user, password, data["password"])
            return redirect("users")
    everyone = User.objects.prefetch_related("groups").order_by("username")
    everyone = everyone.select_related("crib_site__site")
    listed = [(u, people.role_of(u)) for u in everyone]
    return render(request, "front/users.html", {"form": form, "users": listed})


@access.needs(access.USERS)
def user(request, pk):
    person = get_object_or_404(User, pk=pk)
    role_form = RoleForm(label_suffix="", initial={"role": people.role_of(person)})
    password_form = PasswordForm(label_suffix="")
    site = sites.site_of(person) if not person.is_superuser else None
    site_form = SiteForm(label_suffix="", initial={"site": site})
    return render(
        request,
        "front/user.html",
        {
            "person": person,
            "role": people.role_of(person),
            "role_form": role_form,
            "password_form": password_form,
            "site": site,
            "site_form": site_form,
            "locked_out": people.locked_out(person),
        },
    )


def _refused_or_done(request, pk, act, done):
    """Runs one change to a user; a refusal becomes a message, and the user page is shown."""
    try:
        result = act()
    except CribError as e:
        messages.error(request, str(e))
    else:
        done(result)
    return redirect("user", pk)


@require_POST
@access.needs(access.USERS)
def user_role(request, pk):
    person = get_object_or_404(User, pk=pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the crib's roles.")
        return redirect("user", pk)
    role = form.cleaned_data["role"]
    return _refused_or_done(
        request,
        pk,
        lambda: people.set_role(person, role, by=request.user),
        lambda u: messages.success(request, f"{u.username} is now {role}."),
    )


@require_POST
@access.needs(access.USERS)
def user_active(request, pk):
    person = get_object_or_404(User, pk=pk)
    active = request.POST.get("active") == "1"
    return _refused_or_done(
        request,
        pk,
        lambda: people.set_active(person, active, by=request.user),
        lambda u: messages.success(
            request, f"{u.username} {'reactivated' if active else 'deactivated'}."
        ),
    )


@require_POST
@access.needs(access.USERS)
def user_unlock(request, pk):
    person = get_object_or_404(User, pk=pk)
    return _refused_or_done(
        request,
        pk,
        lambda: people.unlock(person, by=request.user),
        lambda _: messages.success(request, f"{person.username} may log in again."),
    )


@require_POST
@access.needs(access.USERS)
def user_site(request, pk):
    person = get_object_or_404(User, pk=pk)
    form = SiteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the sites, or every site.")
        return redirect("user", pk)
    site = form.cleaned_data["site"]
    where = f"limited to {site}" if site else "working at every site"
    return _refused_or_done(
        request,
        pk,
        lambda: people.set_site(person, site, by=request.user),
        lambda u: messages.success(request, f"{u.username} is now {where}."),
    )


@require_POST
@access.needs(access.USERS)
def user_password(request, pk):
    person = get_object_or_404(User, pk=pk)
    given = request.POST.get("password", "")
    return _refused_or_done(
        request,
        pk,
        lambda: people.reset_password(person, by=request.user, password=given),
        lambda password: _show_password(request, person, password, given),
    )


class EngineerForm(forms.ModelForm):
    """Adding and editing an engineer; the badge number is unique in the database too."""

    class Meta:
        model = Engineer
        fields = ["badge_number", "name", "supervisor_email"]

    def clean_badge_number(self):
        badge = self.cleaned_data["badge_number"].strip()
        other = Engineer.objects.filter(badge_number=badge).exclude(pk=self.instance.pk).first()
        if other:
            raise forms.ValidationError(f"Badge number {badge} is already {other.name}’s.")
        return badge

    def save(self, commit=True):
        try:
            with transaction.atomic():
                return super().save(commit)
        except IntegrityError as e:  # two admins saving the same badge at once
            raise CribError(f"Badge number {self.instance.badge_number} is already in use.") from e


@access.needs(access.EDIT_ENGINEERS)
def engineer_edit(request, pk):
    person = get_object_or_404(Engineer, pk=pk)
    form = EngineerForm(request.POST or None, instance=person, label_suffix="")
    if request.method == "POST" and form.is_valid():
        try:
            form.save()
        except CribError as e:
            form.add_error("badge_number", str(e))
        else:
            messages.success(request, f"Saved {person}.")
            return redirect(person)
    return render(request, "front/engineer_edit.html", {"engineer": person, "form": form})


@require_POST
@access.needs(access.EDIT_ENGINEERS)
def engineer_active(request, pk):
    person = get_object_or_404(Engineer, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        people.set_engineer_active(person, active)
    except CribError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"{person} {'reactivated' if active else 'deactivated'}.")
    return redirect("engineer-edit", pk)
