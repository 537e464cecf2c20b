from django.urls import path

from toolcrib.notify import views

urlpatterns = [path("notifications/", views.choices, name="notifications")]
