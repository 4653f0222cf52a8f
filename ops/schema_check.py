"""A1: what the warehouse DDL declares against what the warehouse holds."""

import asyncio
import functools
from dataclasses import dataclass
from typing import Any

from medallion.warehouse import QueryError, warehouse
from medallion.warehouse.migrate import Migration, declared_objects, discover, existing_objects
from silver.transform_catalog import column_drift

SCHEMA_VERSION_TABLE = "OPS.SCHEMA_VERSION"
LAYER_SCHEMAS = {"bronze": "BRONZE", "silver": "SILVER", "gold": "GOLD", "ops": "OPS"}
CRITICAL_COMPONENTS = {
    "Transform Readiness": (
        "BRONZE.RAW_DATA_TABLE",
        "SILVER.TARGET_SCHEMAS",
        "SILVER.FIELD_MAPPINGS",
        "SILVER.CREATED_TABLES",
    ),
    "Auto-Mapping Readiness": ("BRONZE.RAW_DATA_TABLE", "SILVER.TARGET_SCHEMAS", "SILVER.FIELD_MAPPINGS"),
    "Task Scheduler Readiness": ("OPS.TASKS", "OPS.TASK_EXECUTION_LOG"),
}


@dataclass(frozen=True)
class Declared:
    migration: Migration
    objects: tuple[str, ...]


@functools.cache
def declarations() -> tuple[Declared, ...]:
    """The DDL files do not change while the app runs: read them once, not on every request."""
    return tuple(
        Declared(m, declared_objects(m.path.read_text()) if m.path.suffix == ".sql" else ()) for m in discover()
    )


async def _optional_names(sql: str) -> set[Any] | None:
    """A single-column query against a table that may not exist yet (None then)."""
    try:
        return {next(iter(row.values())) for row in await warehouse().fetch_all(sql)}
    except QueryError:
        return None


async def _column_drift() -> list[str]:
    try:
        return await column_drift()
    except QueryError:  # the Silver metadata tables are missing: reported as missing objects
        return []


def _group(required: list[str], missing: set[str]) -> dict[str, Any]:
    existing = [name for name in required if name not in missing]
    return {
        "status": "PASS" if len(existing) == len(required) else "FAIL",
        "required_count": len(required),
        "existing_count": len(existing),
    }


def _check(
    name: str, missing: list[str], ready_text: str = "All components present", problem: str = "Missing"
) -> dict[str, str]:
    if missing:
        return {"check_name": name, "status": "NOT READY", "details": f"{problem}: " + ", ".join(missing)}
    return {"check_name": name, "status": "READY", "details": ready_text}


async def validate_schema() -> dict[str, Any]:
    existing, applied, registered, drift = await asyncio.gather(
        existing_objects(warehouse()),
        _optional_names("SELECT VERSION FROM OPS.SCHEMA_VERSION"),
        _optional_names("SELECT TABLE_NAME FROM SILVER.CREATED_TABLES"),
        _column_drift(),
    )
    applied_versions = {int(version) for version in applied or ()}
    declared = declarations()
    pending = [d for d in declared if d.migration.version not in applied_versions]
    required = {SCHEMA_VERSION_TABLE, *(name for d in declared for name in d.objects)}
    missing = (required - existing) | {name for d in pending for name in d.objects}
    groups = {
        layer: _group(sorted(name for name in required if name.startswith(f"{schema}.")), missing)
        for layer, schema in LAYER_SCHEMAS.items()
    }
    physical = sorted(f"SILVER.{str(name).upper()}" for name in registered or ())
    checks = [
        *(
            _check(check, [name for name in components if name in missing])
            for check, components in CRITICAL_COMPONENTS.items()
        ),
        _check(
            "Registered Silver Tables",
            [name for name in physical if name not in existing],
            f"{len(physical)} registered table(s) present",
        ),
        _check("Warehouse DDL Version", [d.migration.name for d in pending], "All migrations applied"),
        _check("Silver Table Columns", drift, "Every registered table matches its definition", "Drift"),
    ]
    complete = all(g["status"] == "PASS" for g in groups.values()) and all(c["status"] == "READY" for c in checks)
    return {
        "overall_status": "COMPLETE" if complete else "INCOMPLETE",
        **groups,
        "procedures": {"status": "PASS", "required_count": 0, "existing_count": 0},
        "critical_checks": checks,
        "missing_tables": sorted(missing)
        + [f"migration {d.migration.name} not applied" for d in pending if not d.objects],
        "missing_procedures": [],
        "pending_migrations": [d.migration.name for d in pending],
    }
