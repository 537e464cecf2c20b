from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inference import runtime
from toolcrib.crib.backup import BackupError, write_backup


class Command(BaseCommand):
    help = (
        "Write one archive with the whole installation: the database, every stored photo, the "
        "secret key, the model's sha256 and a manifest with counts and checksums. It holds the "
        "secret key: keep it where only operators can read it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", type=Path, help="the archive to write, e.g. crib-2026-12-02.tar"
        )

    def handle(self, *args, path, **options):
        if path.exists():
            raise CommandError(f"{path} exists: give a new file name")
        status = runtime.model_status()
        try:
            manifest = write_backup(path, status.sha256)
        except BackupError as e:
            raise CommandError(str(e)) from None
        path.chmod(0o600)
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"Backed up {len(manifest['tables'])} tables ({rows} rows) and "
            f"{len(manifest['photos'])} stored files (photos, certificates) to {path} ({path.stat().st_size / 1e6:.1f} MB)."
        )
