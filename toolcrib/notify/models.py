"""What was sent to whom (each notice once), and what each user chose to receive."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    OVERDUE = "overdue", "tools overdue"
    LOST = "lost", "a tool marked lost"
    CALIBRATION = "calibration", "calibration due soon"
    DIGEST = "digest", "daily digest"


class Notice(models.Model):
    """One notice to one address: recorded first (pending), mailed after, outside any desk
    request (notices.deliver). `key` names the thing and its period (an issued tool, a lost
    line, a tool's due date, a day); the unique constraint is what makes a second run of
    `manage.py notify` record nothing. A send that failed stays pending with its error, and
    the next delivery tries again."""

    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=100)
    recipient = models.EmailField()
    subject = models.CharField(max_length=200)
    # The email's first line, and this notice's line in it.
    intro = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)  # empty: not sent yet
    attempts = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)  # why the last attempt failed

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(
                fields=["recorded_at"], condition=models.Q(sent_at=None), name="notice_pending"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key", "recipient"], name="one_notice_per_thing_and_recipient"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient}: {self.key}"


class Choice(models.Model):
    """A user's own choice for one kind of notice; without one, their role's default holds."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_choices"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    wanted = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_choice_per_user_and_kind")
        ]

    def __str__(self):
        return f"{self.user}: {self.kind} {'on' if self.wanted else 'off'}"
