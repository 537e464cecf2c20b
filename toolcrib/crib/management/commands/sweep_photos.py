from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.utils import timezone

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
        kept = set(Photo.objects.values_list("image", flat=True))
        cutoff = timezone.now() - timedelta(seconds=min_age)
        # Through the storage: the same sweep for the local folder and an object store.
        orphans = [
            name
            for name in _files(default_storage, "photos")
            if name not in kept and default_storage.get_modified_time(name) < cutoff
        ]
        for name in orphans:
            if not dry_run:
                default_storage.delete(name)
            self.stdout.write(f"{'would delete' if dry_run else 'deleted'} {name}")
        self.stdout.write(f"{len(orphans)} photo file(s) kept by no record.")


def _files(storage, folder):
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a local folder not made yet
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _files(storage, f"{folder}/{sub}")
