import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create or update the presenter's admin login; the password is read from stdin."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args, **options) -> None:
        # From stdin, never argv: a command line is visible to every user in the process list.
        password = sys.stdin.readline().strip()
        if len(password) < 12:
            raise CommandError("Give a password of at least 12 characters on stdin.")
        user, _ = get_user_model().objects.get_or_create(
            username=options["username"], defaults={"email": f"{options['username']}@localhost"}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(f"admin login {user.username!r} ready")
