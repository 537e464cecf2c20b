from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from toolcrib.api import views
from toolcrib.mats import api as mats_api

router = DefaultRouter()
router.register("tool-types", views.ToolTypeViewSet)
router.register("tool-instances", views.ToolInstanceViewSet)
router.register("engineers", views.EngineerViewSet)
router.register("photos", views.PhotoViewSet)
router.register("enrolments", views.EnrolmentViewSet)
router.register("issues", views.IssueViewSet)
router.register("returns", views.ReturnViewSet)
router.register("returned-tools", views.ReturnedToolViewSet)
router.register("foreign-reports", views.ForeignToolReportViewSet)
router.register("audit-events", views.AuditEventViewSet)
router.register("tokens", views.TokenViewSet)

urlpatterns = [
    path("", include(router.urls)),
    path("recognition/", views.RecognitionView.as_view(), name="api-recognition"),
    path(
        "recognition/markings/",
        views.RecognitionMarkingsView.as_view(),
        name="api-recognition-markings",
    ),
    path("settings/", views.SettingsView.as_view(), name="api-settings"),
    path("dashboard/", views.DashboardView.as_view(), name="api-dashboard"),
    path("mat-issues/", mats_api.MatIssueView.as_view(), name="api-mat-issue"),
    path("mat-returns/", mats_api.MatReturnView.as_view(), name="api-mat-return"),
    path("mat-readings/<int:pk>/", mats_api.MatReadingView.as_view(), name="api-mat-reading"),
    # The schema is documentation, open to all; the data behind it needs a role.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[AllowAny]),
        name="api-docs",
    ),
]
