"""First-start demo: a demo admin, demo TPAs with generated files in different layouts, run through Bronze,
Silver (auto-mapped and approved) and Gold, so the dashboard is full on the first visit."""

import asyncio
import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from bronze.processing import process_all_pending
from demo.features import seed_features
from demo.samples import DEMO_LAYOUTS, TARGET_TABLES
from demo.seed import DEMO_ROWS, load_demo_data
from gold.refresh import refresh
from medallion.errors import ApiError
from medallion.roles import grant_role
from medallion.warehouse import close_warehouse
from silver.automap import auto_map_ml
from silver.mappings import approve_mapping, list_mappings
from silver.tables import create_table
from silver.transform import transform

DEMO_USER = "demo"
DEMO_ACTOR = "seed_demo"


def ensure_demo_admin() -> str:
    """Create the demo admin once; returns the line to print (the password only when it was just set)."""
    user, created = get_user_model().objects.get_or_create(username=DEMO_USER)
    grant_role(user, "admin")
    if not created:
        return f"Demo login: {DEMO_USER} (already existed; password unchanged)"
    password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
    user.set_password(password)
    user.save()
    return f"Demo login: {DEMO_USER} / {password}"


async def _silver(tpa: str, schema_table: str) -> str:
    try:
        await create_table(tpa, schema_table, user=DEMO_ACTOR)
    except ApiError as error:
        if error.code != "table_exists":
            raise
    await auto_map_ml(tpa, schema_table, top_n=1, min_confidence=0.6, user=DEMO_ACTOR)
    for mapping in await list_mappings(tpa, schema_table):
        if not mapping["APPROVED"]:
            await approve_mapping(mapping["MAPPING_ID"], user=DEMO_ACTOR)
    outcome = await transform(tpa, schema_table, user=DEMO_ACTOR)
    return f"  {outcome.table.name}: {outcome.inserted + outcome.updated} rows ({outcome.rejected} quarantined)"


async def seed(rows: int, if_empty: bool, report: Any) -> None:
    queued = await load_demo_data(rows)
    if if_empty and not queued:
        report("Demo data already loaded; nothing to do.")
        return
    report(f"Bronze: queued {queued} file(s)")
    processed = await process_all_pending()
    report(f"Bronze: processed {processed['records_processed']} file(s)")
    for layout in DEMO_LAYOUTS:
        for schema_table in TARGET_TABLES.values():
            report(await _silver(layout.tpa_code, schema_table))
    await seed_features(report)
    run = await refresh(full=True, user=DEMO_ACTOR)
    report(
        f"Gold: {run['STATUS']} in {run['DURATION_MS']} ms, {run['CLAIMS_ANALYTICS_ROWS']} claims-analytics rows, "
        f"{run['MEMBER_360_ROWS']} members, {run['QUALITY_CHECKS']} quality checks ({run['QUALITY_FAILURES']} failed)"
    )


class Command(BaseCommand):
    help = "Load demo TPAs and files and run them through Bronze, Silver and Gold."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=DEMO_ROWS)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when files were ever queued.")

    def handle(self, *args: Any, rows: int, if_empty: bool, **options: Any) -> None:
        login = ensure_demo_admin()
        try:
            asyncio.run(seed(rows, if_empty, self.stdout.write))
        finally:
            close_warehouse()
        self.stdout.write(login)
