"""manage.py evaluate_markings DIR: how well tool markings (codes and numbers) are read."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inference.marking_eval import evaluate_folder, summary_lines


class Command(BaseCommand):
    help = "Exact read rate, wrong reads, not read and ms per crop on DIR/markings.csv (file,text)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dir", help="folder with crop images and markings.csv (file,text)")
        parser.add_argument(
            "--pattern",
            action="append",
            help="the crib's number pattern (regular expression); repeat for several "
            "(default: the built-in AT-288293-6 pattern)",
        )
        parser.add_argument("--verbose-rows", action="store_true", help="print every crop's read")

    def handle(
        self,
        dir: str,
        pattern: list[str] | None = None,
        verbose_rows: bool = False,
        **options: Any,
    ) -> None:
        try:
            rows = evaluate_folder(dir, pattern)
        except (ValueError, FileNotFoundError, OSError) as e:
            raise CommandError(str(e)) from e
        if verbose_rows:
            for r in rows:
                self.stdout.write(
                    f"{r.file}: want {r.text or '-'} read {r.read or '-'} ({r.status}, "
                    f"h {r.char_height}, {r.ms:.0f} ms)"
                )
        for line in summary_lines(rows):
            self.stdout.write(line)
