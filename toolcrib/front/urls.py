from django.urls import path

from toolcrib.front import views

urlpatterns = [
    path("", views.home, name="home"),
    path("tool-types/", views.tool_types, name="tool-types"),
    path("crops/<str:kind>/<int:pk>.jpg", views.crop, name="crop"),
]
