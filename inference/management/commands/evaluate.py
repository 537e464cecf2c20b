"""manage.py evaluate PATH: how good the model is on a dataset in the training layout."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inference.evaluate import evaluate, format_report
from inference.rotation import MODES
from inference.runtime import get_model, model_status


class Command(BaseCommand):
    help = "Top-1 accuracy, confusion matrix and verification figures on a dataset in the training layout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path",
            help="folder with 1_screw_flat/ ... 11_side_cutters/ and optional annotations.csv",
        )
        parser.add_argument(
            "--rotation", choices=MODES, help="rotation handling (default: TOOLCRIB_ROTATION)"
        )

    def handle(self, path: str, rotation: str | None = None, **options: Any) -> None:
        model = get_model()
        if model is None:
            raise CommandError(model_status().message)
        try:
            report = evaluate(path, model, rotation)
        except (ValueError, FileNotFoundError) as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"model sha256 {model.sha256}")
        self.stdout.write(format_report(report))
