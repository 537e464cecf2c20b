from django.core.management.base import BaseCommand, CommandError

from inference.kit_eval import evaluate_kits


class Command(BaseCommand):
    help = "Box recall/precision, class accuracy and kit matching accuracy on a folder of kit photos with boxes.csv."

    def add_arguments(self, parser):
        parser.add_argument("path", help="folder with the photos and boxes.csv (scripts/make_kits.py writes one)")

    def handle(self, *args, path, **options):
        try:
            self.stdout.write(evaluate_kits(path))
        except FileNotFoundError as error:
            raise CommandError(str(error)) from error
