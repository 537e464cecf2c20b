from django.urls import path

from toolcrib.front import dashboard, enrolment, history, issue, people, photos, pick, returns

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("issue/", issue.new_issue, name="issue-new"),
    path("issues/<int:pk>/", history.issue, name="issue"),
    path("issues/<int:pk>/report.json", history.issue_report, name="issue-report"),
    path("return/", returns.new_return, name="return-new"),
    path("returns/<int:pk>/", returns.return_page, name="return"),
    path("returns/<int:pk>/report.json", history.return_report, name="return-report"),
    path("recounts/<int:pk>/", returns.decide_recount, name="recount"),
    path("tools/", enrolment.tools, name="tools"),
    path("tools/search.json", pick.tool_search, name="tool-search"),
    path("tools/<int:pk>/", history.tool_instance, name="tool-instance"),
    path("tools/<int:pk>/enrol/", enrolment.enrol, name="enrol"),
    path("tool-types/", enrolment.tool_types, name="tool-types"),
    path("engineers/", enrolment.engineers, name="engineers"),
    path("engineers/<int:pk>/", history.engineer, name="engineer"),
    path("engineers/<int:pk>/edit/", people.engineer_edit, name="engineer-edit"),
    path("engineers/<int:pk>/active/", people.engineer_active, name="engineer-active"),
    path("users/", people.users, name="users"),
    path("users/<int:pk>/", people.user, name="user"),
    path("users/<int:pk>/role/", people.user_role, name="user-role"),
    path("users/<int:pk>/active/", people.user_active, name="user-active"),
    path("users/<int:pk>/password/", people.user_password, name="user-password"),
    path("settings/", enrolment.crib_settings, name="crib-settings"),
    path("photos/", photos.upload, name="photo-upload"),
    path("photos/<int:pk>/recognise/", photos.recognise_box, name="photo-recognise"),
    path("crops/<str:kind>/<int:pk>.jpg", photos.crop, name="crop"),
]
