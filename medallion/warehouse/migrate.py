import hashlib
import importlib.util
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps

from .core import Warehouse

MIGRATION_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.(sql|py)$")
_OBJECT = r'"?([A-Za-z_][A-Za-z0-9_]*)"?\s*\.\s*"?([A-Za-z_][A-Za-z0-9_]*)"?'
DECLARED_OBJECT = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TRANSIENT\s+)?(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?" + _OBJECT,
    re.IGNORECASE,
)
# The object a statement of a SQL migration creates, alters or seeds.
_STATEMENT_TARGET = re.compile(
    r"^\s*(?:CREATE\s+(?:OR\s+REPLACE\s+)?(?:TRANSIENT\s+)?(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"|ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?|INSERT\s+INTO\s+)" + _OBJECT,
    re.IGNORECASE,
)
LAYER_SCHEMA_NAMES = ("BRONZE", "SILVER", "GOLD", "OPS")
BOOTSTRAP = (
    "CREATE SCHEMA IF NOT EXISTS OPS",
    "CREATE TABLE IF NOT EXISTS OPS.SCHEMA_VERSION (VERSION INTEGER NOT NULL, NAME VARCHAR NOT NULL, "
    "CHECKSUM VARCHAR NOT NULL, APPLIED_AT TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP())",
)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()[:16]


def discover() -> list[Migration]:
    found: dict[int, Migration] = {}
    for config in apps.get_app_configs():
        folder = Path(config.path) / "warehouse_sql"
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            match = MIGRATION_FILE.match(path.name)
            if not match:
                continue
            version = int(match.group(1))
            if version in found:
                raise RuntimeError(
                    f"Warehouse migration {version:04d} is defined twice: {path} and {found[version].path}"
                )
            found[version] = Migration(version, path.stem, path)
    return [found[v] for v in sorted(found)]


def split_statements(script: str) -> list[str]:
    statements, current = [], []
    for line in script.splitlines():
        if line.strip().startswith("--"):
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            statements.append("\n".join(current).strip().rstrip(";"))
            current = []
    tail = "\n".join(current).strip()
    if tail:
        statements.append(tail)
    return [s for s in statements if s]


async def applied_versions(wh: Warehouse) -> set[int]:
    rows = await wh.fetch_all("SELECT VERSION FROM OPS.SCHEMA_VERSION")
    return {int(row["VERSION"]) for row in rows}


async def pending(wh: Warehouse) -> list[Migration]:
    for statement in BOOTSTRAP:
        await wh.execute(statement)
    done = await applied_versions(wh)
    return [m for m in discover() if m.version not in done]


async def migrate(wh: Warehouse, report: Callable[[str], None] = lambda _line: None) -> list[Migration]:
    to_apply = await pending(wh)
    for migration in to_apply:
        report(f"Applying warehouse migration {migration.name}")
        if migration.path.suffix == ".sql":
            for statement in split_statements(migration.path.read_text()):
                await wh.execute(statement)
        else:
            await _python_migration(migration.path)(wh)
        await wh.execute(
            "INSERT INTO OPS.SCHEMA_VERSION (VERSION, NAME, CHECKSUM) VALUES (?, ?, ?)",
            (migration.version, migration.name, migration.checksum),
        )
    if to_apply:
        wh.close_idle_connections()
    return to_apply


def _python_migration(path: Path) -> Callable[[Warehouse], Awaitable[None]]:
    spec = importlib.util.spec_from_file_location(f"warehouse_migration_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"Cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.apply


def declared_objects(text: str) -> tuple[str, ...]:
    return tuple(f"{schema.upper()}.{name.upper()}" for schema, name in DECLARED_OBJECT.findall(text))


async def existing_objects(wh: Warehouse) -> set[str]:
    rows = await wh.fetch_all(
        "SELECT TABLE_SCHEMA, TABLE_NAME FROM INFORMATION_SCHEMA.TABLES "
        f"WHERE TABLE_SCHEMA IN ({', '.join('?' for _ in LAYER_SCHEMA_NAMES)})",
        LAYER_SCHEMA_NAMES,
    )
    return {f"{row['TABLE_SCHEMA'].upper()}.{row['TABLE_NAME'].upper()}" for row in rows}


async def repair(wh: Warehouse, report: Callable[[str], None] = lambda _line: None) -> list[str]:
    """Recreate the tables and views of applied migrations that are missing (dropped by hand, say), which
    `migrate` cannot do because it applies each migration once. In migration order, every statement of an
    applied SQL migration that creates, alters or seeds a missing object runs again, so a recreated table gets
    the columns later migrations added and its seed rows; then the applied Python migrations run again (they
    must be idempotent). Returns the objects recreated."""
    existing, done = await existing_objects(wh), await applied_versions(wh)
    recreated: list[str] = []
    applied = [m for m in discover() if m.version in done]
    for migration in (m for m in applied if m.path.suffix == ".sql"):
        for statement in split_statements(migration.path.read_text()):
            target = _target(statement)
            if target is None or target in existing:
                continue
            if DECLARED_OBJECT.match(statement.strip()):
                recreated.append(target)
                report(f"Recreating {target} ({migration.name})")
            if target in recreated:
                await wh.execute(statement)
    if recreated:
        for migration in (m for m in applied if m.path.suffix == ".py"):
            await _python_migration(migration.path)(wh)
        wh.close_idle_connections()
    return recreated


def _target(statement: str) -> str | None:
    match = _STATEMENT_TARGET.match(statement)
    return f"{match.group(1).upper()}.{match.group(2).upper()}" if match else None
