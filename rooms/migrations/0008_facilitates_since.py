from django.db import migrations, models


def facilitating_since_created(apps, schema_editor):
    """Facilitators already in a meeting keep the history they could see from when they joined."""
    Participant = apps.get_model("rooms", "Participant")
    Participant.objects.filter(
        status="admitted", role__in=["facilitator", "cofacilitator"]
    ).update(facilitates_since=models.F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0007_chat_client_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="facilitates_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(facilitating_since_created, migrations.RunPython.noop),
    ]
