"""Deletes personal data of meetings past retention (rooms/services/retention.py).

Safe to run on a schedule: a second run finds nothing left to delete and reports zeros.
"""

import json

from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ops import error_counts
from rooms.services import retention


class Command(BaseCommand):
    help = "Deletes chat, named answers, names and device hashes RETENTION_DAYS after a meeting."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Override RETENTION_DAYS for this run (days after a meeting ended).",
        )

    def handle(self, *args, days: int | None, **options):
        retention_days = settings.RETENTION_DAYS if days is None else days
        if retention_days < 0:
            raise CommandError("The retention period cannot be negative.")
        now = timezone.now()
        report = retention.purge(now=now, retention_days=retention_days)
        # Expired sign-in sessions hold nothing anyone can use; Django leaves them behind.
        call_command("clearsessions")
        # Failed sign-ins (address, username) matter only while they can lock someone out.
        AccessAttempt.objects.filter(attempt_time__lt=now - settings.AXES_COOLOFF_TIME).delete()
        # Error counts by minute only feed the status page's last hour.
        error_counts.prune(now=now)
        self.stdout.write(
            json.dumps(
                {"purged_at": now.isoformat(), "retention_days": retention_days} | report.as_dict()
            )
        )
