"""Prepares the embedded default for a first look: a facilitator and a meeting, with links."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from meetings.views import invite_links
from rooms.models import Meeting
from rooms.services import meetings as services

DEMO_TITLE = "Demo: Tuesday evening peer circle"


class Command(BaseCommand):
    help = "Creates (once) a demo facilitator and meeting and prints how to reach them."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="facilitator")
        parser.add_argument("--password", default="peer-support")

    def handle(self, *args, username: str, password: str, **options):
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_password(password)
            user.save()
        meeting = Meeting.objects.filter(owner=user, title=DEMO_TITLE, ended_at=None).first()
        if meeting is None:
            meeting = services.meeting_create(owner=user, title=DEMO_TITLE, lobby_enabled=True)
        links = invite_links(meeting)
        pw = password if created else "(unchanged; reset with create_facilitator)"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Demo meeting ready.",
                    f"  Facilitator sign-in: {links['facilitator']}",
                    f"    username: {username}   password: {pw}",
                    f"  Peer invite link:    {links['peer']}",
                    f"  Co-facilitator link: {links['cofacilitator']}",
                    "",
                ]
            )
        )
