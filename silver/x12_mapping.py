"""The built-in mapping of X12 837 claims onto MEDICAL_CLAIMS: Bronze names each 837 claim's flat fields after
the MEDICAL_CLAIMS columns (bronze/x12.py), so every mapping is field -> same-named column, approved at once."""

from typing import Any

from medallion.errors import ApiError
from silver.mappings import create_mapping

X12_TARGET_TABLE = "MEDICAL_CLAIMS"
X12_FIELDS = (
    "CLAIM_ID", "MEMBER_ID", "PROVIDER_ID", "PROVIDER_NAME", "SERVICE_DATE", "DIAGNOSIS_CODE", "PROCEDURE_CODE",
    "BILLED_AMOUNT", "PAID_AMOUNT", "CLAIM_STATUS",
)  # fmt: skip
SKIPPED_CODES = ("mapping_exists", "validation_error")


async def apply_837_mapping(tpa: str, *, user: str | None) -> dict[str, Any]:
    """Create the mappings the TPA lacks; fields its 837 files never carry (no raw data yet) are skipped."""
    created, skipped = [], []
    for field in X12_FIELDS:
        body = {"tpa": tpa, "source_field": field, "target_table": X12_TARGET_TABLE, "target_column": field,
                "description": "Built-in X12 837 mapping"}  # fmt: skip
        try:
            created.append(await create_mapping(body, user=user))
        except ApiError as error:
            if error.code not in SKIPPED_CODES:
                raise
            skipped.append(field)
    return {"message": f"Created {len(created)} mappings", "mapping_ids": created, "skipped_fields": skipped}
