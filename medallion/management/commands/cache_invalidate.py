from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import get_resolver

from medallion import caching


class Command(BaseCommand):
    help = "Invalidate cached query results: one or more namespaces, or --all to clear the whole cache."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("namespaces", nargs="*")
        parser.add_argument("--all", action="store_true")

    def handle(self, *args: object, namespaces: list[str], all: bool, **options: object) -> None:
        if all:
            caching.clear_all()
            self.stdout.write("Cache cleared.")
            return
        if not namespaces:
            raise CommandError("Name at least one namespace, or use --all.")
        get_resolver().check()  # imports every view, so every cached namespace is registered
        known = sorted(caching.namespaces)
        unknown = sorted(set(namespaces) - set(known))
        if unknown:
            raise CommandError(f"Unknown namespace(s): {', '.join(unknown)}. Known: {', '.join(known)}")
        caching.invalidate_sync(*namespaces)
        self.stdout.write(f"Invalidated: {', '.join(namespaces)}")
