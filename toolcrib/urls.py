from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from toolcrib import health
from toolcrib.front import media

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("toolcrib.api.urls")),
    path("mats/", include("toolcrib.mats.urls")),
    path("labels/", include("toolcrib.labels.urls")),
    path("", include("toolcrib.transfer.urls")),
    path("", include("toolcrib.notify.urls")),
    path("", include("toolcrib.front.urls")),
    # Photos are evidence: served by Django to the roles that may read them (and the uploader).
    path("media/<path:path>", media.photo_file, name="media"),
]

# The API answers JSON even where Django answers for it (unknown address, refused request, crash).
handler400 = "toolcrib.api.errors.bad_request"
handler403 = "toolcrib.api.errors.permission_denied"
handler404 = "toolcrib.api.errors.page_not_found"
handler500 = "toolcrib.api.errors.server_error"
