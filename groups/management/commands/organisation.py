"""Sets up an organisation with its admin and facilitators (accounts made when missing).

    manage.py organisation --name "Riverside Peer Support" --admin alice \\
        --facilitator ana="Certified peer specialist" --facilitator ben --password ...

Without --password, new accounts get an unusable password (set one with changepassword).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from groups import services
from groups.errors import GroupError
from groups.models import Organisation, Staff


class Command(BaseCommand):
    help = "Create an organisation with an admin and facilitators."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin", required=True, help="username of the organisation admin")
        parser.add_argument(
            "--facilitator",
            action="append",
            default=[],
            help='username, or username="what the organisation verified"',
        )
        parser.add_argument("--crisis-resources", default="")
        parser.add_argument("--agreement", default="")
        parser.add_argument("--password", default="", help="password for accounts it creates")

    def _user(self, username: str, password: str) -> Any:
        users = get_user_model()
        user = users.objects.filter(username=username).first()
        if user is None:
            user = users.objects.create_user(username=username, password=password or None)
        return user

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"]
        admin = self._user(options["admin"], password)
        try:
            org = Organisation.objects.filter(name=options["name"]).first()
            if org is None:
                org = services.organisation_create(
                    admin=admin,
                    name=options["name"],
                    crisis_resources=options["crisis_resources"],
                    default_agreement=options["agreement"],
                )
            for spec in options["facilitator"]:
                username, _, verification = spec.partition("=")
                services.staff_set(
                    actor=admin,
                    organisation=org,
                    user=self._user(username, password),
                    role=Staff.Role.FACILITATOR,
                    verification=verification,
                )
        except GroupError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Organisation {org.name} (id {org.pk}); groups at /groups/manage/")
