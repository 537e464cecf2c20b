from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inference import runtime
from toolcrib.crib.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Bring a `manage.py backup` archive back into an empty installation (a new embedded "
        "database or an empty DATABASE_URL database, and empty photo storage), then check "
        "every table's row count and every photo's checksum against the archive's manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path, **options):
        try:
            manifest, counts = restore_backup(path)
        except BackupError as e:
            raise CommandError(str(e)) from None
        wrong = {
            table: (expected, counts.get(table))
            for table, expected in manifest["tables"].items()
            if counts.get(table) != expected
        }
        if wrong:
            raise CommandError(f"restored, but the counts differ (expected, found): {wrong}")
        self._secret_key(path, manifest)
        status = runtime.model_status()
        if manifest["model_sha256"] and status.sha256 != manifest["model_sha256"]:
            self.stdout.write(
                self.style.WARNING(
                    f"The backup's features were made by model {manifest['model_sha256'][:12]}; "
                    f"this installation has {status.sha256 and status.sha256[:12]}: run "
                    "`manage.py reembed` once the model is in place."
                )
            )
        self.stdout.write(
            f"Restored {len(counts)} tables ({sum(counts.values())} rows) and "
            f"{len(manifest['photos'])} stored files (photos, certificates) from {path}; the counts match the manifest."
        )

    def _secret_key(self, path, manifest):
        import hashlib
        import tarfile

        with tarfile.open(path) as tar:
            key = tar.extractfile("secret_key").read().decode()
        if (
            hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest()
            == manifest["secret_key_sha256"]
        ):
            return
        if not settings.SECRET_KEY_FROM_ENV:
            # The installation's own key file: signed sessions and links keep working.
            key_file = settings.VAR_DIR / "secret_key"
            key_file.write_text(key)
            key_file.chmod(0o600)
            self.stdout.write(f"The backup's secret key is now in {key_file}.")
        else:
            self.stdout.write(
                self.style.WARNING(
                    "SECRET_KEY differs from the backup's: set it to the value in the archive's "
                    "secret_key file, or everyone signs in again."
                )
            )
