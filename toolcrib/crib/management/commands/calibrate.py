from django.core.management.base import BaseCommand, CommandError

from inference import runtime
from toolcrib.crib import calibration
from toolcrib.crib.models import CribSettings


class Command(BaseCommand):
    help = (
        "Fit the match calibration on the crib's enrolment photos (all of them) and print what "
        "the accepted risk costs. Enrolling or removing a photo refits it too; run this after "
        "many enrolments at once, or from cron."
    )

    def handle(self, *args, **options):
        if runtime.get_model() is None:
            raise CommandError(runtime.model_status().message)
        fit = calibration.refit()
        in_use = calibration.in_use()
        self.stdout.write(
            f"{fit.enrolments} enrolment photos of {fit.tools} tools: "
            f"{fit.genuine} genuine and {fit.impostors} impostor pairs"
        )
        self.stdout.write(f"calibration in use: {in_use.description}")
        risk = CribSettings.current().accepted_risk
        point = in_use.point(risk)
        if point is None:
            self.stdout.write(
                f"accepted risk {risk:g} per 1,000: no level is safe enough on this data; "
                "every plausible tool waits for a confirmation by eye"
            )
        else:
            self.stdout.write(
                f"accepted risk {risk:g} per 1,000: accept from {point.probability * 100:.1f} % "
                f"calibrated; {point.accepted * 100:.0f} % of genuine returns accepted without a "
                f"look, {100 - point.accepted * 100:.0f} % wait for one click "
                f"(false accepts measured {point.false_accepts:.1f}, at most "
                f"{point.false_accepts_upper:.1f} per 1,000)"
            )
