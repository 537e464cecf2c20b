from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inference.kit_eval import evaluate_kits


class Command(BaseCommand):
    help = (
        "Box recall/precision, class accuracy, kit matching accuracy and the return desk's "
        "verdicts (accepted without recount, false accepts) on a folder of kit photos with boxes.csv."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", help="folder with the photos and boxes.csv (scripts/make_kits.py writes one)"
        )
        parser.add_argument(
            "--rotation",
            choices=("none", "tta", "canonical"),
            help="default: TOOLCRIB_ROTATION (tta)",
        )
        parser.add_argument(
            "--risk",
            type=float,
            default=20.0,
            help="accepted false accepts per 1,000 for the verdict lines (default 20)",
        )
        parser.add_argument(
            "--no-expected",
            dest="expected",
            action="store_false",
            help="do not tell the proposer how many tools each photo holds",
        )

    def handle(
        self,
        *args: Any,
        path: str,
        rotation: str | None,
        expected: bool,
        risk: float = 20.0,
        **options: Any,
    ) -> None:
        try:
            self.stdout.write(evaluate_kits(path, rotation=rotation, risk=risk, expected=expected))
        except FileNotFoundError as error:
            raise CommandError(str(error)) from error
