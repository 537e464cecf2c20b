from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q

from inference import runtime
from toolcrib.crib import recognition
from toolcrib.crib.models import Enrolment, IssuedTool, ReturnedTool


class Command(BaseCommand):
    help = (
        "Recompute every stored feature that another model made (or none made) from the kept "
        "photo and box. Safe to stop and run again: it goes on where it stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="recompute every feature, also the current model's"
        )

    def handle(self, *args, all=False, **options):
        model = runtime.get_model()
        if model is None:
            raise CommandError(runtime.model_status().message)
        for kind in (Enrolment, IssuedTool, ReturnedTool):
            todo = kind.objects.exclude(photo=None)
            if not all:
                todo = todo.filter(Q(embedding=None) | ~Q(model_sha256=model.sha256))
            photo_ids = sorted(set(todo.values_list("photo_id", flat=True)))
            total, done = todo.count(), 0
            name = kind._meta.verbose_name_plural
            self.stdout.write(f"{name}: {total} to recompute with model {model.sha256[:12]}")
            for photo_id in photo_ids:
                # One model call and one transaction per photo: an interrupted run loses at most one photo.
                with transaction.atomic():
                    rows = list(
                        todo.filter(photo_id=photo_id)
                        .select_related("photo")
                        .select_for_update(of=("self",))
                    )
                    if not rows:
                        continue
                    found, sha = recognition.recognise_boxes(
                        rows[0].photo, [r.box for r in rows], reuse=False
                    )
                    for row, seen in zip(rows, found):
                        row.embedding, row.model_sha256 = seen.feature, sha
                        row.save(update_fields=["embedding", "model_sha256"])
                done += len(rows)
                self.stdout.write(f"  {name}: {done}/{total}")
        self.stdout.write(self.style.SUCCESS("All features are from the current model."))
