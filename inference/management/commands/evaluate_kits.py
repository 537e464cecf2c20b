from django.core.management.base import BaseCommand, CommandError

from inference.kit_eval import evaluate_kits


class Command(BaseCommand):
    help = "Box recall/precision, class accuracy and kit matching accuracy on a folder of kit photos with boxes.csv."

    def add_arguments(self, parser):
        parser.add_argument("path", help="folder with the photos and boxes.csv (scripts/make_kits.py writes one)")
        parser.add_argument("--turns", type=int, choices=(1, 4), default=1, help="4: average features over quarter turns (experiment)")

    def handle(self, *args, path, turns, **options):
        try:
            self.stdout.write(evaluate_kits(path, turns=turns))
        except FileNotFoundError as error:
            raise CommandError(str(error)) from error
