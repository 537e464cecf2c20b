from django.contrib import admin

from toolcrib.crib import models


@admin.register(models.ToolType)
class ToolTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "model_class_index"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


class EnrolmentInline(admin.TabularInline):
    model = models.Enrolment
    fields = ["photo", "x0", "y0", "x1", "y1", "model_sha256", "created_at"]
    readonly_fields = ["model_sha256", "created_at"]
    raw_id_fields = ["photo"]
    extra = 0


@admin.register(models.ToolInstance)
class ToolInstanceAdmin(admin.ModelAdmin):
    list_display = ["inventory_number", "tool_type", "status", "calibration_due"]
    list_filter = ["status", "tool_type"]
    search_fields = ["inventory_number", "notes"]
    inlines = [EnrolmentInline]


@admin.register(models.Engineer)
class EngineerAdmin(admin.ModelAdmin):
    list_display = ["badge_number", "name", "active"]
    list_filter = ["active"]
    search_fields = ["badge_number", "name"]


@admin.register(models.Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["id", "image", "width", "height", "uploaded_by", "created_at"]
    readonly_fields = ["width", "height", "sha256", "created_at"]


@admin.register(models.Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["id", "tool_instance", "photo", "model_sha256", "created_at"]
    raw_id_fields = ["photo", "tool_instance"]
    readonly_fields = ["model_sha256"]
    exclude = ["embedding"]


class IssuedToolInline(admin.TabularInline):
    model = models.IssuedTool
    fields = ["tool_instance", "due_back", "closed_at", "photo", "x0", "y0", "x1", "y1"]
    readonly_fields = fields
    can_delete = False
    extra = 0


class ReturnedToolInline(admin.TabularInline):
    model = models.ReturnedTool
    fields = ["issued_tool", "match_percent", "decision", "decided_by", "reason"]
    readonly_fields = fields
    can_delete = False
    extra = 0


class TransactionAdmin(admin.ModelAdmin):
    """Issues and returns are made at the desk (services), never edited here."""

    list_display = ["id", "engineer", "created_at"]
    readonly_fields = ["engineer", "created_at", "photos", "idempotency_key"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Issue)
class IssueAdmin(TransactionAdmin):
    readonly_fields = TransactionAdmin.readonly_fields + ["storekeeper"]
    inlines = [IssuedToolInline]


@admin.register(models.Return)
class ReturnAdmin(TransactionAdmin):
    readonly_fields = TransactionAdmin.readonly_fields + ["desk_user", "threshold"]
    inlines = [ReturnedToolInline]


@admin.register(models.CribSettings)
class CribSettingsAdmin(admin.ModelAdmin):
    list_display = ["recount_threshold", "loan_hours"]

    def has_add_permission(self, request):
        return not models.CribSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Lines of issues and returns change only through the desk's services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

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
    list_display = ["issued_tool", "tool_return", "match_percent", "decision", "decided_by"]
    list_filter = ["decision"]
    exclude = ["embedding"]


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
