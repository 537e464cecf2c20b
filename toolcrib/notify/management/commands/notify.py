"""Record the notices that are due (overdue tools, lost tools, calibration due soon, the daily
digest) and mail every pending one, those a failed send left behind too. Run it from cron
(README, "Notifications"); running it twice sends nothing twice."""

from django.core.management.base import BaseCommand

from toolcrib.notify import notices
from toolcrib.notify.models import Kind


def _notices(n: int) -> str:
    return f"{n} notice{'s' if n != 1 else ''}"


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        for kind, n in notices.record_due().items():
            self.stdout.write(f"{Kind(kind).label}: {_notices(n)} new")
        sent, failed = notices.deliver()
        self.stdout.write(f"sent: {_notices(sent)}")
        if failed:
            self.stderr.write(
                f"not sent: {_notices(failed)}, the mail server refused or did not answer; "
                "they stay pending (see /notifications/) and the next run tries again"
            )
