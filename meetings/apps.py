from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"

    def ready(self) -> None:
        # A wrong crisis-resources file stops the server now, not on someone's bad day.
        from meetings.crisis import crisis_resources

        crisis_resources()
