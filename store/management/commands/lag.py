import argparse
import math

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from store import lag
from store.data import ensure_replicas


class Command(BaseCommand):
    help = "Print the lag settings; with options, change them (a bad value changes nothing)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--delay-ms", type=int)
        parser.add_argument("--jitter-ms", type=int)
        parser.add_argument("--failure-rate", type=rate, help="0 to 1")
        parser.add_argument("--reorder", action="store_true", default=None)
        parser.add_argument("--no-reorder", dest="reorder", action="store_false")
        seed = parser.add_mutually_exclusive_group()
        seed.add_argument("--seed", type=int, help="draw jitter from this seed: the same write waits as long each time")
        seed.add_argument("--no-seed", action="store_true", help="draw jitter at random again")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--pause", action="store_true", help="partition: writes queue up")
        group.add_argument("--heal", action="store_true", help="end the partition")
        parser.add_argument(
            "--replica-lag",
            action="append",
            default=[],
            metavar="NAME=MS",
            help="extra lag of one replica, e.g. slow=3000",
        )

    def handle(self, *args, **options) -> None:
        ensure_replicas()
        changes = {
            name: options[name]
            for name in ("delay_ms", "jitter_ms", "failure_rate", "reorder")
            if options[name] is not None
        }
        if options["seed"] is not None or options["no_seed"]:
            changes["seed"] = options["seed"]
        if options["pause"] or options["heal"]:
            changes["paused"] = bool(options["pause"])
        replica_lag = {}
        for item in options["replica_lag"]:
            name, _, value = item.partition("=")
            try:
                replica_lag[name] = int(value)
            except ValueError:
                raise CommandError(f"--replica-lag wants NAME=MS, got {item!r}") from None
        if changes or replica_lag:
            try:
                lag.update(changes, replica_lag)
            except ValidationError as error:
                raise CommandError(_describe(error)) from None
        settings = lag.describe()
        for name, value in settings.items():
            self.stdout.write(f"{name}: {value}")


def rate(text: str) -> float:
    """A finite number; the settings' own validation checks the range."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"wants a number from 0 to 1, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"wants a number from 0 to 1, got {text!r}")
    return value


def _describe(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
    return " ".join(error.messages)
