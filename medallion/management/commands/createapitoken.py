import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from medallion.models import ApiToken
from medallion.roles import ROLES, grant_role


class Command(BaseCommand):
    help = "Create the user if missing, give it a role, and print a new API token (only the token, on stdout)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", choices=ROLES, default="viewer")
        parser.add_argument("--name", default="script")

    def handle(self, *args: object, username: str, role: str, name: str, **options: object) -> None:
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_password(secrets.token_urlsafe(24))
            user.save()
        grant_role(user, role)
        _token, raw = ApiToken.issue(user, name)
        self.stdout.write(raw)
