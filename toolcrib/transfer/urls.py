from django.urls import path

from toolcrib.transfer import views

urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("import/photos/", views.photos, name="import-photos"),
    path("import/<slug:slug>/", views.preview, name="import-preview"),
    path("import/<slug:slug>/save/", views.save, name="import-save"),
    path("import/<slug:slug>/template.csv", views.template, {"fmt": "csv"}, name="import-csv"),
    path("import/<slug:slug>/template.xlsx", views.template, {"fmt": "xlsx"}, name="import-xlsx"),
]
