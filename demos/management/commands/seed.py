from django.core.management.base import BaseCommand

from store import data

EXAMPLES = {
    "curtain": ["Hello from the log", "Every write lands here first", "Replicas catch up later"],
    "optimistic": ["Buy oat milk", "Book the venue", "Print the slides"],
    "read-your-writes": ["First!", "Great talk so far", "Is the code online?"],
    "pending": ["Order #1: 2 tickets", "Order #2: 1 T-shirt", "Order #3: 3 stickers"],
    "push": ["Doors open at 9", "Coffee is in room B", "Next talk starts at 11"],
}


class Command(BaseCommand):
    help = "Create the replicas and put a few example items into each empty demo stream."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--reset", action="store_true", help="empty log and replicas first")

    def handle(self, *args, **options) -> None:
        if options["reset"]:
            data.reset()
        created = data.seed(EXAMPLES)
        if options["reset"]:
            from push import broadcast

            broadcast.everything_changed()
        self.stdout.write(f"seeded {created} example items")
