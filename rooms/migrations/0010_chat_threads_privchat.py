import django.db.models.deletion
from django.db import migrations, models


def peers_messages_open_their_threads(apps, schema_editor):
    """A peer's earlier private messages to the facilitators become their own thread."""
    ChatMessage = apps.get_model("rooms", "ChatMessage")
    ChatMessage.objects.filter(audience="facilitators", sender__role="peer").update(
        thread=models.F("sender")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0009_attention_support"),
    ]

    operations = [
        migrations.AddField(
            model_name="chatmessage",
            name="content_note",
            field=models.CharField(blank=True, default="", max_length=60),
        ),
        migrations.AddField(
            model_name="chatmessage",
            name="removed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="chatmessage",
            name="thread",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="private_thread_messages",
                to="rooms.participant",
            ),
        ),
        migrations.RunPython(peers_messages_open_their_threads, migrations.RunPython.noop),
    ]
