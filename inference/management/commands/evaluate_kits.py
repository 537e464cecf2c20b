from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inference.kit_eval import add_count_arguments, evaluate_kits


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
        add_count_arguments(parser)

    def handle(
        self,
        *args: Any,
        path: str,
        rotation: str | None,
        count: str = "exact",
        risk: float = 20.0,
        boxes_only: bool = False,
        every: int = 1,
        turn: bool = True,
        **options: Any,
    ) -> None:
        try:
            self.stdout.write(
                evaluate_kits(
                    path,
                    rotation=rotation,
                    risk=risk,
                    count=count,
                    boxes_only=boxes_only,
                    every=every,
                    turn=turn,
                )
            )
        except FileNotFoundError as error:
            raise CommandError(str(error)) from error
