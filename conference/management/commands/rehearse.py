from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from store.models import LagSettings

from ...rehearse import rehearse


class Command(BaseCommand):
    help = (
        "Rehearse the talk: run every demo's scenario in order at the current lag, in Chromium against the "
        "running app, and report per demo whether each pane did what its explanation promises."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default=f"http://127.0.0.1:{settings.PORT}", help="the running app")
        parser.add_argument("--only", default="", help="comma-separated demo slugs (default: every live demo)")

    def handle(self, *args, url: str, only: str, **options) -> None:
        if LagSettings.load().paused:
            raise CommandError("The network is partitioned: nothing would ever apply. Heal first: manage.py lag --heal")
        slugs = [s for s in only.split(",") if s]
        reports = rehearse(url, slugs, out=self.stdout.write)
        broken = [r.demo.slug for r in reports if not r.ok]
        if not reports:
            raise CommandError("No demo to rehearse.")
        if broken:
            raise CommandError(f"Broke a promise: {', '.join(broken)}")
