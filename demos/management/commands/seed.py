from django.core.management.base import BaseCommand

from demos import curtain
from store import data


class Command(BaseCommand):
    help = "Create the replicas and put a few example items into each empty demo stream."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--reset", action="store_true", help="empty log and replicas first")

    def handle(self, *args, **options) -> None:
        if options["reset"]:
            created = data.reset(curtain.examples())
        else:
            created = data.seed(curtain.examples())
        self.stdout.write(f"seeded {created} example items")
