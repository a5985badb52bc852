from django.urls import path

from groups import feeds, views

app_name = "groups"

urlpatterns = [
    path("groups/", views.directory, name="directory"),
    path("groups/manage/", views.manage, name="manage"),
    path("groups/organisation/", views.organisation, name="organisation"),
    path("groups/manage/attendance.csv", views.organisation_csv, name="organisation_csv"),
    path("groups/<uuid:group_id>/report/", views.report, name="report"),
    path("groups/<uuid:group_id>/attendance.csv", views.report_csv, name="report_csv"),
    path("groups/<uuid:group_id>/", views.group_page, name="group"),
    path("groups/<uuid:group_id>/schedule/", views.schedule_editor, name="schedule"),
    path("groups/<uuid:group_id>/start/", views.start_now, name="start_now"),
    path("groups/meetings/<uuid:occurrence_id>/", views.occurrence_page, name="occurrence"),
    path("groups/<uuid:group_id>/calendar.ics", feeds.group_feed, name="group_feed"),
    path(
        "groups/meetings/<uuid:occurrence_id>/meeting.ics",
        feeds.occurrence_ics,
        name="occurrence_ics",
    ),
]
