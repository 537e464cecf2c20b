import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from inference import runtime
from toolcrib.crib.models import CribSettings


class Command(BaseCommand):
    help = "Start Toolcrib: database, migrations, the kit's tool types, a first admin, and the web server."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        call_command("migrate", interactive=False, verbosity=0)
        CribSettings.current()
        self._first_admin(addrport)
        # Load (or fetch) the model now, so a broken or missing file is reported at start-up.
        status = runtime.model_status()
        self.stdout.write(
            status.message if status.available else self.style.WARNING(status.message)
        )
        call_command("runserver", addrport, use_reloader=False)

    def _first_admin(self, addrport):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write(f"Toolcrib: http://{addrport}/ (log in with your account)")
            return
        # No password in the code: a random one, shown this once.
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", password=password)
        line = "=" * 64
        self.stdout.write(
            f"{line}\nToolcrib: http://{addrport}/\nFirst start: log in as  admin  with password  {password}\n"
            f"It is shown only now. Change it under Admin > Users, and add your crib's users there.\n{line}"
        )
