"""Prepares the embedded default for a first look: a facilitator and a meeting, with links.

The demo password is published, so the demo exists only for a server bound to loopback:
`scripts/serve` passes its bind address, and on any other address this command creates
nothing and switches off a demo password left from before (meetings.auth also refuses it
from anywhere but this machine).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from meetings.auth import DEMO_PASSWORD, is_loopback
from meetings.views import invite_links
from rooms.models import Meeting
from rooms.services import meetings as services

DEMO_TITLE = "Demo: Tuesday evening peer circle"
NO_LINK = "(none now: make a new one on the meeting's page)"


class Command(BaseCommand):
    help = "Creates (once) a demo facilitator and meeting and prints how to reach them."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="facilitator")
        parser.add_argument("--password", default=DEMO_PASSWORD)
        parser.add_argument(
            "--bind",
            default="127.0.0.1",
            help="The address the server will listen on; the demo exists only on loopback.",
        )
        parser.add_argument(
            "--peers-join-unmuted",
            action="store_true",
            help="Turn the meeting's 'muted on entry' off (tests that need peers' sound at once).",
        )

    def handle(
        self, *args, username: str, password: str, bind: str, peers_join_unmuted: bool, **options
    ):
        if not is_loopback(bind):
            self._disable(username)
            raise CommandError(
                f"No demo on {bind}: its password is published, so it exists only on a server "
                "bound to 127.0.0.1. Create a facilitator with "
                "`python manage.py create_facilitator NAME`."
            )
        user, created = get_user_model().objects.get_or_create(username=username)
        # Also back on loopback after a public bind switched the demo password off.
        created = created or not user.has_usable_password()
        if created:
            user.set_password(password)
            user.save()
        meeting = Meeting.objects.filter(owner=user, title=DEMO_TITLE, ended_at=None).first()
        if meeting is None:
            meeting = services.meeting_create(
                owner=user,
                title=DEMO_TITLE,
                lobby_enabled=True,
                muted_on_entry=not peers_join_unmuted,
            )
        links = invite_links(meeting)
        pw = password if created else "(unchanged; reset with create_facilitator)"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Demo meeting ready.",
                    f"  Facilitator sign-in: {links['facilitator']}",
                    f"    username: {username}   password: {pw}",
                    f"  Peer invite link:    {links['peer'] or NO_LINK}",
                    f"  Co-facilitator link: {links['cofacilitator'] or NO_LINK}",
                    "",
                ]
            )
        )

    def _disable(self, username: str) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is not None and user.check_password(DEMO_PASSWORD):
            user.set_unusable_password()
            user.save(update_fields=["password"])
            self.stderr.write(f"The demo password of {username!r} no longer works.")
