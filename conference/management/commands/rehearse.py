import json
import sys

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
        parser.add_argument("--demo", action="append", default=[], metavar="SLUG", help="one demo (repeatable)")
        parser.add_argument(
            "--seed", type=int, help="draw every delay from this seed: the same writes wait as long, run after run"
        )
        parser.add_argument(
            "--at-preset", action="store_true", help="run each demo at its scenario's own lag, as R on stage sets it"
        )
        parser.add_argument(
            "--json",
            dest="as_json",
            action="store_true",
            help='print one JSON object a line per demo and pane: {"demo", "pane", "ok", "anomaly_shown"}',
        )

    def handle(self, *args, url: str, only: str, demo: list[str], seed, at_preset: bool, as_json: bool, **options):
        if LagSettings.load().paused:
            raise CommandError("The network is partitioned: nothing would ever apply. Heal first: manage.py lag --heal")
        if seed is not None and seed < 0:
            raise CommandError("--seed wants a number from 0 up.")
        slugs = [s for s in only.split(",") if s] + demo
        # With --json, stdout carries only the objects; the running report goes to stderr.
        out = (lambda line: sys.stderr.write(line + "\n")) if as_json else self.stdout.write
        reports = rehearse(url, slugs, out=out, seed=seed, at_preset=at_preset)
        if as_json:
            for report in reports:
                for pane in report.panes():
                    self.stdout.write(json.dumps(pane))
        broken = [r.demo.slug for r in reports if not r.ok]
        if not reports:
            raise CommandError("No demo to rehearse.")
        if broken:
            raise CommandError(f"Broke a promise: {', '.join(broken)}")
