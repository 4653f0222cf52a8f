from django.core.management.base import BaseCommand, CommandParser

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
            self.stderr.write("Name at least one namespace, or use --all.")
            return
        caching.invalidate_sync(*namespaces)
        self.stdout.write(f"Invalidated: {', '.join(namespaces)}")
