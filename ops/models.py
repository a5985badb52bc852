"""What the status page needs that no other table holds."""

from django.db import models


class ErrorCount(models.Model):
    """How many typed `error` frames with one code the server sent in one minute, across
    every web process. Only the code and the count: never who got it, nor in which meeting.
    Rows older than a day go with `manage.py purge`."""

    minute = models.DateTimeField()  # the start of the minute, UTC
    code = models.CharField(max_length=40)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["minute", "code"], name="one_error_count_per_minute")
        ]
