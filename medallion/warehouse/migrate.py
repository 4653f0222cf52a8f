import hashlib
import importlib.util
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps

from .core import Warehouse

MIGRATION_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.(sql|py)$")
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
