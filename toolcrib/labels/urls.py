from django.urls import path

from toolcrib.labels import views

urlpatterns = [path("", views.labels, name="labels")]
