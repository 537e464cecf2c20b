"""Notices in the Django admin, read-only: what was sent, what waits, and why a send failed."""

from django.contrib import admin

from toolcrib.notify.models import Notice


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["recorded_at", "kind", "recipient", "subject", "sent_at", "attempts", "error"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["recipient", "key", "text"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
