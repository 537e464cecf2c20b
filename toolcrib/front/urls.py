from django.urls import path

from toolcrib.front import (
    crops,
    dashboard,
    enrolment,
    history,
    issue,
    pick,
    records,
    returns,
    session,
)

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("issue/", issue.new_issue, name="issue-new"),
    path("issues/", records.issues, name="issues"),
    path("issues/<int:pk>/", history.issue, name="issue"),
    path("issues/<int:pk>/report.json", history.issue_report, name="issue-report"),
    path("return/", returns.new_return, name="return-new"),
    path("returns/", records.returns, name="returns"),
    path("returns/<int:pk>/", returns.return_page, name="return"),
    path("audit/", records.audit, name="audit"),
    path("returns/<int:pk>/report.json", history.return_report, name="return-report"),
    path("recounts/<int:pk>/", returns.decide_recount, name="recount"),
    path("tools/", enrolment.tools, name="tools"),
    path("tools/search.json", pick.tool_search, name="tool-search"),
    path("tools/<int:pk>/", history.tool_instance, name="tool-instance"),
    path("tools/<int:pk>/enrol/", enrolment.enrol, name="enrol"),
    path("tool-types/", enrolment.tool_types, name="tool-types"),
    path("engineers/", enrolment.engineers, name="engineers"),
    path("engineers/<int:pk>/", history.engineer, name="engineer"),
    path("settings/", enrolment.crib_settings, name="crib-settings"),
    path("session.json", session.session_state, name="session-state"),
    path("crops/<str:kind>/<int:pk>.jpg", crops.crop, name="crop"),
]
