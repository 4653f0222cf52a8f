"""Auto-mapping runs: shared pre-checks and result shape, and the deterministic ("ML") matcher run."""

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from silver.mappings import covered_by_approved, replace_suggestions, require_source_data, source_layouts
from silver.matcher import Suggestion, TargetColumn, suggest_mappings
from silver.schemas import schema_columns
from silver.tables import exclusive_operation
from tpa.services import get_tpa, require_active_tpa

# Matching is CPU work: it runs here, never on the event loop, one run at a time per process.
_matcher_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="automap")


@dataclass(frozen=True)
class AutoMapRun:
    tpa: str
    schema_table: str
    source_fields: dict[str, list[str]]
    targets: list[TargetColumn]
    layouts: list[dict[str, list[str]]]


@asynccontextmanager
async def auto_map_run(tpa: object, target_table: object) -> AsyncIterator[AutoMapRun]:
    """Pre-checks in the contract's order (404 TPA, 404 schema, 409 inactive, no data, in progress), then hold
    (TPA, table) for the run. Fields and columns already covered by approved mappings are left out."""
    code = (await get_tpa(tpa))["TPA_CODE"]
    columns = await schema_columns(target_table)
    table = columns[0]["TABLE_NAME"]
    await require_active_tpa(code)
    samples = await require_source_data(code)
    async with exclusive_operation(code, table):
        approved_sources, approved_targets = await covered_by_approved(code, table)
        yield AutoMapRun(
            code,
            table,
            _unmapped(samples, approved_sources),
            [
                TargetColumn(column["COLUMN_NAME"], column["DATA_TYPE"], column["DESCRIPTION"] or "")
                for column in columns
                if column["COLUMN_NAME"] not in approved_targets
            ],
            [_unmapped(layout, approved_sources) for layout in await source_layouts(code)],
        )


def _unmapped(fields: dict[str, list[str]], approved_sources: set[str]) -> dict[str, list[str]]:
    return {field: values for field, values in fields.items() if field not in approved_sources}


async def best_layout_suggestions(run: AutoMapRun, *, top_n: int, min_confidence: float) -> list[Suggestion]:
    """Match each file layout on its own and keep the layout that fits the table best, so one table is never
    mapped from fields that no single file has (medical fields from one file, pharmacy fields from another)."""
    return await asyncio.get_running_loop().run_in_executor(
        _matcher_executor, _best_layout_suggestions, run, top_n, min_confidence
    )


def _best_layout_suggestions(run: AutoMapRun, top_n: int, min_confidence: float) -> list[Suggestion]:
    candidates = [
        suggest_mappings(layout, run.targets, top_n=top_n, min_confidence=min_confidence)
        for layout in run.layouts or [run.source_fields]
    ]
    return max(candidates, key=lambda suggestions: sum(s.confidence for s in suggestions), default=[])


def run_result(created: int, kind: str, run: AutoMapRun, nothing_found: str) -> dict[str, Any]:
    """The answer of both auto-mapping runs: "successfully" appears in `message` only when this run created mappings."""
    summary = (
        f"{created} {kind} suggestion(s) for {run.tpa} {run.schema_table} from {len(run.source_fields)} source "
        f"fields and {len(run.targets)} unmapped target columns"
    )
    message = f"Created {created} {kind} mapping suggestion(s) successfully" if created else nothing_found
    return {"message": message, "result": summary, "mappings_created": created, "success": created > 0}


async def auto_map_ml(
    tpa: object, target_table: object, *, top_n: int, min_confidence: float, user: str | None
) -> dict[str, Any]:
    """Score source fields against target columns and store the suggestions as unapproved ML_AUTO."""
    async with auto_map_run(tpa, target_table) as run:
        suggestions = await best_layout_suggestions(run, top_n=top_n, min_confidence=min_confidence)
        rows = [
            {
                "SOURCE_FIELD": suggestion.source_field,
                "TARGET_COLUMN": suggestion.target_column,
                "CONFIDENCE_SCORE": suggestion.confidence,
                "TRANSFORMATION_LOGIC": suggestion.reasons,
                "DESCRIPTION": f"ML auto-mapping, confidence {suggestion.confidence:.2f}",
            }
            for suggestion in suggestions
        ]
        created = await replace_suggestions(run.tpa, run.schema_table, "ML_AUTO", rows, user=user)
    return run_result(created, "ML", run, f"No new mappings met the confidence threshold {min_confidence:.2f}")
