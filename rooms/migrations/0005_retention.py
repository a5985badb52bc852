import secrets

from django.db import migrations, models

import rooms.models


def salt_ended_meetings(apps, schema_editor):
    """Existing open meetings keep the unsalted hash ("" salt) so their bans still hold;
    ended meetings need no device hash at all, so theirs are dropped and they get a salt."""
    Meeting = apps.get_model("rooms", "Meeting")
    Participant = apps.get_model("rooms", "Participant")
    for meeting in Meeting.objects.filter(ended_at__isnull=False).only("id"):
        Meeting.objects.filter(id=meeting.id).update(device_salt=secrets.token_hex(16))
    Participant.objects.filter(meeting__ended_at__isnull=False).update(device_hash="")


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0004_chat_message_kind"),
    ]

    operations = [
        migrations.AddField(
            model_name="meeting",
            name="device_salt",
            field=models.CharField(default="", max_length=32),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="meeting",
            name="device_salt",
            field=models.CharField(default=rooms.models.new_device_salt, max_length=32),
        ),
        migrations.AddField(
            model_name="meeting",
            name="purged_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(salt_ended_meetings, migrations.RunPython.noop),
    ]
