from django.urls import path

from toolcrib.transfer import export_views, views

urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("import/photos/", views.photos, name="import-photos"),
    path("import/<slug:slug>/", views.preview, name="import-preview"),
    path("import/<slug:slug>/save/", views.save, name="import-save"),
    path("import/<slug:slug>/template.csv", views.template, {"fmt": "csv"}, name="import-csv"),
    path("import/<slug:slug>/template.xlsx", views.template, {"fmt": "xlsx"}, name="import-xlsx"),
    path("exports/", export_views.export_page, name="exports"),
    path("exports/tools-out.pdf", export_views.tools_out_pdf, name="tools-out-pdf"),
    path("exports/<slug:slug>.csv", export_views.export_file, {"fmt": "csv"}, name="export-csv"),
    path("exports/<slug:slug>.xlsx", export_views.export_file, {"fmt": "xlsx"}, name="export-xlsx"),
    path("returns/<int:pk>/receipt.pdf", export_views.return_pdf, name="return-pdf"),
]
