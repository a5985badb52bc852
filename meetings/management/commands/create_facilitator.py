import getpass
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Creates a facilitator account (or resets its password) for signing in. Without "
        "--password the password is asked for (or read from the first line of stdin), so it "
        "stays out of the shell history and the process list."
    )

    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password")

    def handle(self, *args, username: str, password: str | None, **options):
        if password is None:
            password = self._ask(options.get("stdin") or sys.stdin)
        model = get_user_model()
        user = model.objects.filter(username=username).first() or model(username=username)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("Choose another password: " + " ".join(exc.messages)) from exc
        created = user.pk is None
        user.set_password(password)
        user.save()
        self.stdout.write(f"{'Created' if created else 'Updated'} facilitator {username!r}.")

    def _ask(self, stdin) -> str:
        if not stdin.isatty():
            return stdin.readline().rstrip("\n")
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != password:
            raise CommandError("The two passwords differ.")
        return password
