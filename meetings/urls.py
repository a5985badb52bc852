from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from meetings import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/<uuid:meeting_id>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<uuid:meeting_id>/room/", views.meeting_room, name="meeting_room"),
    path("meetings/<uuid:meeting_id>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<uuid:meeting_id>/end/", views.meeting_end, name="meeting_end"),
    path("meetings/<uuid:meeting_id>/links/", views.meeting_link, name="meeting_link"),
    path("join/", views.join_link, name="join_link"),
    path("join/<uuid:meeting_id>/", views.join_meeting, name="join_meeting"),
    path("join/<str:invite>/", views.join, name="join"),
    path("api/join/", views.api_join, name="api_join"),
    path("", include("groups.urls")),
    path("", include("ops.urls")),
]

if settings.ADMIN_ENABLED:
    urlpatterns.append(path("admin/", admin.site.urls))
