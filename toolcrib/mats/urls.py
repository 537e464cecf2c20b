from django.urls import path

from toolcrib.mats import views

urlpatterns = [
    path("", views.mat_list, name="mats"),
    path("new/", views.design, name="mat-new"),
    path("<int:pk>/", views.mat_page, name="mat"),
    path("<int:pk>/new-version/", views.design, name="mat-new-version"),
    path("<int:pk>/mat.pdf", views.mat_print, {"layout": "sheet"}, name="mat-pdf"),
    path("<int:pk>/tiles.pdf", views.mat_print, {"layout": "tiles"}, name="mat-tiles-pdf"),
    path("blank-<str:paper>.pdf", views.blank_print, {"layout": "sheet"}, name="mat-blank-pdf"),
    path(
        "blank-<str:paper>-tiles.pdf",
        views.blank_print,
        {"layout": "tiles"},
        name="mat-blank-tiles-pdf",
    ),
    path("issue/", views.issue_on_mat, name="mat-issue"),
    path("return/", views.return_on_mat, name="mat-return"),
    path("readings/<int:pk>/", views.reading_page, name="mat-reading"),
    path("readings/<int:pk>/mat.png", views.reading_picture, name="mat-reading-picture"),
]
