"""Transform rules take their RULE_ID from an IDENTITY column like every other table (they were numbered
MAX() + 1, which two concurrent creations could share). Snowflake adds no IDENTITY to an existing column, so
the table is rebuilt with its rows, the identity starting above the largest id kept."""

from medallion.warehouse import Warehouse

TABLE = "SILVER.TRANSFORM_RULES"
KEPT = "SILVER.TRANSFORM_RULES_KEPT"
COLUMNS = (
    "RULE_ID, TPA, SCHEMA_TABLE, RULE_NAME, RULE_TYPE, TARGET_COLUMN, PARAMETERS, ACTION, CORRECTION_EXPRESSION, "
    "SEVERITY, DESCRIPTION, ACTIVE, CREATED_BY, CREATED_TIMESTAMP, UPDATED_TIMESTAMP"
)


def definition(first_id: int) -> str:
    return (
        f"CREATE TABLE {TABLE} (RULE_ID INTEGER IDENTITY({first_id}, 1), TPA VARCHAR(50) NOT NULL, "
        "SCHEMA_TABLE VARCHAR(100) NOT NULL, RULE_NAME VARCHAR(100) NOT NULL, RULE_TYPE VARCHAR(30) NOT NULL, "
        "TARGET_COLUMN VARCHAR(128), PARAMETERS VARIANT, ACTION VARCHAR(20) NOT NULL, "
        "CORRECTION_EXPRESSION VARCHAR(2000), SEVERITY VARCHAR(20) NOT NULL DEFAULT 'ERROR', "
        "DESCRIPTION VARCHAR(1000), ACTIVE BOOLEAN NOT NULL DEFAULT TRUE, CREATED_BY VARCHAR(150), "
        "CREATED_TIMESTAMP TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP(), UPDATED_TIMESTAMP TIMESTAMP_NTZ)"
    )


async def apply(wh: Warehouse) -> None:
    first_id = int(await wh.fetch_value(f"SELECT COALESCE(MAX(RULE_ID), 0) + 1 FROM {TABLE}"))
    await wh.execute(f"CREATE OR REPLACE TABLE {KEPT} AS SELECT {COLUMNS} FROM {TABLE}")
    await wh.execute(f"DROP TABLE {TABLE}")
    await wh.execute(definition(first_id))
    await wh.execute(f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {COLUMNS} FROM {KEPT}")
    await wh.execute(f"DROP TABLE {KEPT}")
