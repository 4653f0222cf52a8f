from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from medallion.warehouse.identifiers import APP_SCHEMAS, STAGES, InvalidIdentifier, quote


def grants_script(database: str, warehouse: str, role: str, user: str | None) -> list[str]:
    """What the app's role needs: run the migrations (schemas, tables, stages), create Silver tables at run
    time, load and move staged files, and call Cortex for LLM mappings. Nothing account-wide."""
    db, wh, rl = quote(database), quote(warehouse), quote(role)
    statements = [
        "USE ROLE SECURITYADMIN",
        f"CREATE ROLE IF NOT EXISTS {rl}",
        f"GRANT USAGE ON WAREHOUSE {wh} TO ROLE {rl}",
        f"GRANT USAGE, CREATE SCHEMA ON DATABASE {db} TO ROLE {rl}",
    ]
    for schema in APP_SCHEMAS:
        qualified = f"{db}.{quote(schema)}"
        statements += [
            f"GRANT USAGE, CREATE TABLE, CREATE VIEW, CREATE STAGE ON SCHEMA {qualified} TO ROLE {rl}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA {qualified} TO ROLE {rl}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON FUTURE TABLES IN SCHEMA {qualified} TO ROLE {rl}",
        ]
    ops = f"{db}.{quote('OPS')}"
    statements += [f"GRANT READ, WRITE ON STAGE {ops}.{quote(stage)} TO ROLE {rl}" for stage in STAGES]
    statements += [
        f"GRANT READ, WRITE ON FUTURE STAGES IN SCHEMA {ops} TO ROLE {rl}",
        f"GRANT DATABASE ROLE SNOWFLAKE.CORTEX_USER TO ROLE {rl}",
    ]
    if user:
        statements += [f"GRANT ROLE {rl} TO USER {quote(user)}", f"ALTER USER {quote(user)} SET DEFAULT_ROLE = {rl}"]
    return statements


class Command(BaseCommand):
    help = (
        "Print the SQL that creates the app's Snowflake role and grants it what Medallion needs "
        "(run it as SECURITYADMIN, or a role that owns the database, before `warehouse_migrate`)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--print", action="store_true", dest="print_script", help="write the script to stdout")
        parser.add_argument("--database", default=settings.WAREHOUSE_DATABASE)
        parser.add_argument("--warehouse", default="MEDALLION_WH")
        parser.add_argument("--role", default="MEDALLION_APP")
        parser.add_argument("--user", help="also grant the role to this user and make it the default")

    def handle(
        self, *args: object, print_script: bool, database: str, warehouse: str, role: str, user: str | None,
        **options: object,
    ) -> None:  # fmt: skip
        if not print_script:
            raise CommandError("Use --print: the script is for an administrator to review and run.")
        try:
            names = [name.upper() for name in (database, warehouse, role)]
            statements = grants_script(*names, user.upper() if user else None)
        except InvalidIdentifier as error:
            raise CommandError(str(error)) from None
        self.stdout.write(";\n".join(statements) + ";")
