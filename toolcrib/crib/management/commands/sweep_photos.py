import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from toolcrib.crib.models import Photo


class Command(BaseCommand):
    help = (
        "Delete photo files that no record keeps: an upload refused half-way (its row rolled "
        "back) leaves its file behind. Files younger than --min-age are left alone, as they may "
        "belong to a request still running."
    )

    def add_arguments(self, parser):
        parser.add_argument("--min-age", type=int, default=3600, help="seconds (default 3600)")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, min_age, dry_run, **options):
        root = Path(settings.MEDIA_ROOT)
        kept = set(Photo.objects.values_list("image", flat=True))
        cutoff = time.time() - min_age
        orphans = [
            path
            for path in (root / "photos").rglob("*")
            if path.is_file()
            and path.relative_to(root).as_posix() not in kept
            and path.stat().st_mtime < cutoff
        ]
        for path in orphans:
            if not dry_run:
                path.unlink()
            self.stdout.write(
                f"{'would delete' if dry_run else 'deleted'} {path.relative_to(root)}"
            )
        self.stdout.write(f"{len(orphans)} photo file(s) kept by no record.")
