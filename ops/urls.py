from django.urls import URLPattern, path

from ops import views

urlpatterns: list[URLPattern] = [
    path("ops/status/", views.status_page, name="ops_status"),
    path("ops/status.json", views.status_json, name="ops_status_json"),
]
