"""The Django admin over the crib's records.

Evidence (photos, enrolments, issues, returns and their lines) is read-only here for everyone,
superusers included: a correction is a new record made at the desk or over the API, audited.
Tool instances are saved through `services.save_tool`, which keeps the *issued* rule. Users,
groups and tokens: `admin_users.py`.
"""

from django import forms
from django.contrib import admin, messages

from toolcrib.crib import admin_users, models, services, sites  # noqa: F401 (admin_users registers)


class SiteLimited:
    """Staff limited to a site see only its records here too (sites.visible: 404 for others)."""

    def get_queryset(self, request):
        return sites.visible(super().get_queryset(request), request.user)  # type: ignore[misc]


class ReadOnlyAdmin(SiteLimited, admin.ModelAdmin):
    """Shown, never changed here: changes go through the desk's services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(SiteLimited, admin.TabularInline):
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.ToolType)
class ToolTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "model_class_index"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


class EnrolmentInline(ReadOnlyInline):
    """Reference photos are taken on the tool's page (or over the API), where the model runs."""

    model = models.Enrolment
    fields = ["photo", "x0", "y0", "x1", "y1", "model_sha256", "enrolled_by", "created_at"]
    readonly_fields = fields


class ToolInstanceForm(forms.ModelForm):
    def clean_status(self):
        status = self.cleaned_data["status"]
        tool, current = (
            (self.instance, self.instance.status)
            if self.instance.pk
            else ("a new tool", models.ToolInstance.Status.IN_CRIB)
        )
        try:
            services.check_status_change(tool, current, status)
        except services.CribError as e:
            raise forms.ValidationError(str(e)) from None
        return status


@admin.register(models.ToolInstance)
class ToolInstanceAdmin(SiteLimited, admin.ModelAdmin):
    form = ToolInstanceForm
    list_display = ["inventory_number", "tool_type", "status", "calibration_due"]
    list_filter = ["status", "tool_type"]
    search_fields = ["inventory_number", "notes"]
    inlines = [EnrolmentInline]
    actions = None  # no bulk delete past the service

    def save_model(self, request, obj, form, change):
        try:
            saved = services.save_tool(
                obj, user=request.user, fields=form.changed_data if change else None
            )
        except services.CribError as e:
            # Issued or returned at the desk between the form's check and this save.
            self.message_user(request, str(e), messages.ERROR)
            return
        obj.pk = saved.pk


@admin.register(models.CalibrationRecord)
class CalibrationRecordAdmin(ReadOnlyAdmin):
    """Recorded on the tool's page (metrology.record_calibration keeps the due date in step)."""

    list_display = ["tool_instance", "calibrated_on", "due_date", "certificate_number"]


@admin.register(models.UserSite)
class UserSiteAdmin(ReadOnlyAdmin):
    """Set on the user's page in the app (people.set_site), where the change is audited."""

    list_display = ["user", "site"]


@admin.register(models.Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(models.Engineer)
class EngineerAdmin(admin.ModelAdmin):
    list_display = ["badge_number", "name", "active"]
    list_filter = ["active"]
    search_fields = ["badge_number", "name"]


@admin.register(models.Photo)
class PhotoAdmin(ReadOnlyAdmin):
    list_display = ["id", "image", "width", "height", "uploaded_by", "created_at"]


@admin.register(models.Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "tool_instance", "photo", "model_sha256", "created_at"]
    exclude = ["embedding"]


class IssuedToolInline(ReadOnlyInline):
    model = models.IssuedTool
    fields = ["tool_instance", "due_back", "closed_at", "photo", "x0", "y0", "x1", "y1"]
    readonly_fields = fields


class ReturnedToolInline(ReadOnlyInline):
    model = models.ReturnedTool
    fields = ["issued_tool", "match_percent", "decision", "decided_by", "reason"]
    readonly_fields = fields


class TransactionAdmin(ReadOnlyAdmin):
    """Issues and returns are made at the desk (services), never edited here."""

    list_display = ["id", "engineer", "created_at"]


@admin.register(models.Issue)
class IssueAdmin(TransactionAdmin):
    inlines = [IssuedToolInline]


@admin.register(models.Return)
class ReturnAdmin(TransactionAdmin):
    inlines = [ReturnedToolInline]


@admin.register(models.CribSettings)
class CribSettingsAdmin(admin.ModelAdmin):
    list_display = ["accepted_risk", "recount_threshold", "loan_hours"]

    def has_add_permission(self, request):
        return not models.CribSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.IssuedTool)
class IssuedToolAdmin(ReadOnlyAdmin):
    list_display = ["tool_instance", "issue", "due_back", "closed_at"]
    list_filter = ["closed_at"]
    search_fields = ["tool_instance__inventory_number"]
    exclude = ["embedding"]


@admin.register(models.ReturnedTool)
class ReturnedToolAdmin(ReadOnlyAdmin):
    list_display = [
        "issued_tool",
        "tool_return",
        "match_percent",
        "probability",
        "decision",
        "decided_by",
    ]
    list_filter = ["decision"]
    exclude = ["embedding"]


@admin.register(models.CalibrationFit)
class CalibrationFitAdmin(ReadOnlyAdmin):
    """Fitted by the crib itself (toolcrib/crib/calibration.py); read-only evidence."""

    list_display = ["created_at", "enrolments", "tools", "genuine", "impostors"]


@admin.register(models.AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The trail is append-only (the database refuses changes too)."""

    list_display = ["created_at", "actor_name", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "actor_name"]


@admin.register(models.BoxRecognition)
class BoxRecognitionAdmin(admin.ModelAdmin):
    """Kept model output, shown for inspection; made and used only by the recognition code."""

    list_display = ["id", "photo", "x0", "y0", "x1", "y1", "model_sha256", "rotation"]
    exclude = ["feature"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.BoxMarking)
class BoxMarkingAdmin(ReadOnlyAdmin):
    """Kept marking reads, shown for inspection; made and used only by the recognition code."""

    list_display = ["id", "photo", "x0", "y0", "x1", "y1", "rules"]


@admin.register(models.ForeignToolReport)
class ForeignToolReportAdmin(ReadOnlyAdmin):
    """Reports to QA are made and closed in the app (crib/extras.py), audited there."""

    list_display = ["id", "line", "reported_by", "reported_at", "closed_at"]
