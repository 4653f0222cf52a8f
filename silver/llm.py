"""LLM mapping through Snowflake Cortex COMPLETE, the allowed models and the prompt template."""

import json
import re
from collections.abc import Mapping, Sequence
from string import Template
from typing import Any

from django.conf import settings

from medallion import audit
from medallion.errors import ApiError, validation_error
from medallion.warehouse import warehouse
from silver.automap import AutoMapRun, auto_map_run, run_result
from silver.mappings import replace_suggestions

TEMPLATE_NAME = "FIELD_MAPPING"
MAX_TEMPLATE = 16000
PROMPT_SAMPLES = 5
CORTEX_SQL = "SELECT SNOWFLAKE.CORTEX.COMPLETE(?, ?) AS RESPONSE"
REQUIRED_PLACEHOLDERS = ("$source_fields", "$target_columns")
DEFAULT_TEMPLATE = """You map the columns of a health-plan claims file ("bordereau") from TPA $tpa onto the \
target table $target_table.

Source fields with sample values (JSON object, field -> samples):
$source_fields

Target columns (JSON array of name, type, description):
$target_columns

Answer with a JSON array only, no other text. One object per mapping you are confident about:
{"source_field": "<source field exactly as given>", "target_column": "<target column exactly as given>", \
"confidence": <number from 0 to 1>, "reasoning": "<one short sentence>"}
Map each source field to at most one target column and each target column from at most one source field."""
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def llm_available() -> bool:
    return warehouse().backend.kind == "snowflake"


def available_models() -> list[str]:
    """The allowed models: those configured on Snowflake (availability is not probed: no test calls); [] elsewhere."""
    return list(settings.CORTEX_MODELS) if llm_available() else []


def checked_model(model_name: str | None) -> str | None:
    if model_name is None:
        models = available_models()
        return models[0] if models else None
    if model_name not in settings.CORTEX_MODELS:
        raise validation_error(
            "model_name", f"Model {model_name[:60]!r} is not allowed; use a listed model.", code="model_not_allowed"
        )
    return model_name


async def prompt_template() -> str | None:
    return await warehouse().fetch_value(
        "SELECT TEMPLATE_TEXT FROM SILVER.LLM_PROMPT_TEMPLATES WHERE TEMPLATE_NAME = ?", (TEMPLATE_NAME,)
    )


async def save_prompt_template(text: object, *, user: str | None) -> None:
    if not isinstance(text, str) or not text.strip():
        raise validation_error("template", "This field is required.")
    if len(text) > MAX_TEMPLATE:
        raise validation_error("template", f"Must be at most {MAX_TEMPLATE} characters.")
    missing = [name for name in REQUIRED_PLACEHOLDERS if name not in text]
    if missing:
        raise validation_error("template", f"The template must contain {', '.join(missing)}.")
    before = await prompt_template()
    async with warehouse().transaction() as tx:
        await tx.execute("DELETE FROM SILVER.LLM_PROMPT_TEMPLATES WHERE TEMPLATE_NAME = ?", (TEMPLATE_NAME,))
        await tx.execute(
            "INSERT INTO SILVER.LLM_PROMPT_TEMPLATES (TEMPLATE_NAME, TEMPLATE_TEXT, UPDATED_BY) VALUES (?, ?, ?)",
            (TEMPLATE_NAME, text, user),
        )
        await audit.record(user, "UPDATE", "LLM_PROMPT_TEMPLATE", TEMPLATE_NAME, before=before, after=text, within=tx)


def build_prompt(template: str, run: AutoMapRun) -> str:
    fields = {field: values[:PROMPT_SAMPLES] for field, values in run.source_fields.items()}
    targets = [[target.name, target.data_type, target.description] for target in run.targets]
    return Template(template).safe_substitute(
        tpa=run.tpa,
        target_table=run.schema_table,
        source_fields=json.dumps(fields, ensure_ascii=False),
        target_columns=json.dumps(targets, ensure_ascii=False),
    )


async def complete(model: str, prompt: str) -> str:
    answer = await warehouse().fetch_value(
        CORTEX_SQL, (model, prompt), timeout=settings.WAREHOUSE_LONG_STATEMENT_TIMEOUT
    )
    if not isinstance(answer, str):
        raise _bad_response("the model returned no text")
    return answer


def parse_proposals(
    answer: str, source_fields: Sequence[str], target_columns: Sequence[str], model: str
) -> list[dict[str, Any]]:
    """Strictly parse the model's JSON array and keep proposals naming a known source field and target column
    (one per source field and per target column, first wins)."""
    text = answer.strip()
    fenced = _FENCE.fullmatch(text)
    try:
        proposals = json.loads(fenced.group(1) if fenced else text)
    except ValueError:
        raise _bad_response("the answer is not JSON") from None
    if not isinstance(proposals, list) or not all(isinstance(item, Mapping) for item in proposals):
        raise _bad_response("the answer is not a JSON array of objects")
    sources, targets = set(source_fields), set(target_columns)
    kept: list[dict[str, Any]] = []
    used_sources: set[str] = set()
    used_targets: set[str] = set()
    for item in proposals:
        source, target = item.get("source_field"), item.get("target_column")
        confidence, reasoning = item.get("confidence"), item.get("reasoning", "")
        if not isinstance(source, str) or not isinstance(target, str) or not isinstance(reasoning, str | None):
            raise _bad_response("a proposal lacks source_field or target_column text")
        if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
            raise _bad_response("a proposal's confidence is not a number from 0 to 1")
        target = target.strip().upper()
        if source not in sources or target not in targets or source in used_sources or target in used_targets:
            continue
        used_sources.add(source)
        used_targets.add(target)
        kept.append(
            {
                "SOURCE_FIELD": source,
                "TARGET_COLUMN": target,
                "CONFIDENCE_SCORE": round(float(confidence), 3),
                "TRANSFORMATION_LOGIC": None,
                "DESCRIPTION": f"LLM: {model} - {(reasoning or '').strip()}",
            }
        )
    return kept


def _bad_response(reason: str) -> ApiError:
    return ApiError(502, "llm_bad_response", f"The LLM answer could not be used: {reason}.")


def _unavailable(detail: str) -> ApiError:
    return ApiError(503, "upstream_unavailable", detail)


async def auto_map_llm(
    tpa: object, target_table: object, *, model_name: str | None, user: str | None
) -> dict[str, Any]:
    """Ask Cortex for mappings and store the valid ones as unapproved LLM_CORTEX suggestions."""
    model = checked_model(model_name)
    async with auto_map_run(tpa, target_table) as run:
        if not llm_available() or model is None:
            raise _unavailable("LLM mapping needs the Snowflake warehouse (Cortex).")
        template = await prompt_template()
        if not template:
            raise _unavailable("The LLM prompt template is missing; an admin can restore it on the mappings page.")
        answer = await complete(model, build_prompt(template, run))
        rows = parse_proposals(answer, list(run.source_fields), [target.name for target in run.targets], model)
        created = await replace_suggestions(run.tpa, run.schema_table, "LLM_CORTEX", rows, user=user)
    return run_result(created, "LLM", run, "The LLM proposed no mappings for the unmapped fields")
