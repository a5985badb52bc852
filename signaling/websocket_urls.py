from django.urls import path

from signaling.consumers import MeetingConsumer

websocket_urlpatterns = [
    path("ws/meetings/<str:meeting_id>/", MeetingConsumer.as_asgi()),
]
