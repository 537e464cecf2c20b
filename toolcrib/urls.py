from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.static import serve

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("toolcrib.api.urls")),
    path("mats/", include("toolcrib.mats.urls")),
    path("", include("toolcrib.front.urls")),
    # Photos are evidence: only signed-in users see them (served by Django, not a public folder).
    path(
        "media/<path:path>",
        login_required(serve),
        {"document_root": settings.MEDIA_ROOT},
        name="media",
    ),
]
