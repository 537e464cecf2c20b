"""Send the notices that are due: overdue tools, lost tools, calibration due soon, the daily
digest. Run it from cron (README, "Notifications"); running it twice sends nothing twice."""

from django.core.management.base import BaseCommand

from toolcrib.notify import notices
from toolcrib.notify.models import Kind


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        sent = notices.run()
        for kind, n in sent.items():
            self.stdout.write(f"{Kind(kind).label}: {n} notice{'s' if n != 1 else ''} sent")
