"""Users, groups and API tokens in the Django admin, with no way up.

A staff user who is not a superuser (the crib's admin role) changes only users all of whose
rights they may hand out: their own and the crib's roles (`roles.users_within`); grants only
those; and never sees or sets *superuser status*. Nobody reads a token's key here: it is shown
once, when the token is made. Every change is in the audit trail: users and groups from
signals (audit.py), tokens from here.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, Permission, User
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from toolcrib.crib import audit, people, roles

admin.site.unregister(User)
admin.site.unregister(TokenProxy)
# A token's own text is its key, and the admin prints an object's text on many pages (delete,
# history, messages, its log): here a token reads as whose it is.
TokenProxy.__str__ = lambda token: f"token of {token.user}"


@admin.register(User)
class CribUserAdmin(UserAdmin):
    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or not roles.outranks(obj, request.user))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            people.give_own_site(obj, by=request.user)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "is_superuser"]})
            for name, opts in fieldsets
        ]

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        return filters if request.user.is_superuser else [f for f in filters if f != "is_superuser"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            own = roles.grantable_ids(request.user)
            if db_field.name == "user_permissions":
                kwargs["queryset"] = Permission.objects.filter(pk__in=own)
            elif db_field.name == "groups":
                beyond = Permission.objects.exclude(pk__in=own)
                kwargs["queryset"] = Group.objects.exclude(permissions__in=beyond)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(TokenProxy)
class CribTokenAdmin(TokenAdmin):
    list_display = ["user", "created"]

    def has_change_permission(self, request, obj=None):
        return False  # a token is made or revoked, never edited

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = roles.users_within(request.user).filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record("token created", obj.user, actor=request.user)
        self.message_user(
            request,
            f"The API token of {obj.user} is {obj.key} — copy it now: it is not shown again.",
            messages.WARNING,
        )

    def delete_model(self, request, obj):
        audit.record("token revoked", obj.user, actor=request.user)
        super().delete_model(request, obj)
