from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from runs import export, recorder
from runs.models import Run


class Command(BaseCommand):
    help = "Write a recorded run as one self-contained HTML file that replays offline."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("run_id", nargs="?", type=int, help="the run's id (see /runs/)")
        which.add_argument("--latest", action="store_true", help="the run that began last")
        parser.add_argument("-o", "--output", required=True, help="the HTML file to write")

    def handle(self, *args, run_id=None, latest=False, output="", **options):
        recorder.flush()
        run = Run.objects.order_by("-started_at", "-id").first() if latest else Run.objects.filter(pk=run_id).first()
        if run is None:
            raise CommandError("No runs recorded yet." if latest else f"No run {run_id}.")
        html = export.render_file(run)
        Path(output).write_text(html, encoding="utf-8")
        size = len(html.encode())
        self.stdout.write(
            f"run {run.pk} ({run.demo}, {run.writes} writes, {run.length_s:.0f} s): {output}, {size} bytes"
        )
