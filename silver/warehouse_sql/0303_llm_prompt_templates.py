"""Admin-editable prompt templates for LLM mapping (Snowflake Cortex), with the default template."""

from medallion.warehouse import Warehouse
from silver.llm import DEFAULT_TEMPLATE, TEMPLATE_NAME


async def apply(wh: Warehouse) -> None:
    await wh.execute(
        "CREATE TABLE IF NOT EXISTS SILVER.LLM_PROMPT_TEMPLATES (TEMPLATE_NAME VARCHAR(100) NOT NULL, "
        "TEMPLATE_TEXT VARCHAR(16000) NOT NULL, UPDATED_BY VARCHAR(150), "
        "UPDATED_TIMESTAMP TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP())"
    )
    await wh.execute(
        "INSERT INTO SILVER.LLM_PROMPT_TEMPLATES (TEMPLATE_NAME, TEMPLATE_TEXT, UPDATED_BY) SELECT ?, ?, 'system' "
        "WHERE NOT EXISTS (SELECT 1 FROM SILVER.LLM_PROMPT_TEMPLATES WHERE TEMPLATE_NAME = ?)",
        (TEMPLATE_NAME, DEFAULT_TEMPLATE, TEMPLATE_NAME),
    )
