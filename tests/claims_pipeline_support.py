"""A small medical-claims pipeline for the reconciliation, claim-version and lineage tests (no tests in here):
a CSV in one TPA layout, uploaded and loaded, mapped onto MEDICAL_CLAIMS, transformed and refreshed into Gold."""

import uuid
from typing import Any

from gold.refresh import refresh
from medallion.errors import ApiError
from medallion.warehouse import warehouse
from silver.tables import create_table
from silver.transform import transform
from tests.test_bronze_support import upload_and_process

HEADER = ("Claim Number", "Member", "Service Date", "Billed", "Allowed", "Paid", "Status", "Record Type")
MAPPINGS = {
    "Claim Number": "CLAIM_ID", "Member": "MEMBER_ID", "Service Date": "SERVICE_DATE", "Billed": "BILLED_AMOUNT",
    "Allowed": "ALLOWED_AMOUNT", "Paid": "PAID_AMOUNT", "Status": "CLAIM_STATUS",
}  # fmt: skip


def claim(
    claim_id: str, paid: str, *, billed: str = "100.00", date: str = "2026-01-15", status: str = "PAID"
) -> tuple[str, ...]:
    return (claim_id, "M1", date, billed, paid, paid, status, "D")


def trailer(rows: str, paid: str) -> tuple[str, ...]:
    return (rows, "", "", "", "", paid, "", "T")


def claims_file(*rows: tuple[str, ...], trailer: tuple[str, ...] | None = None) -> bytes:
    lines = [",".join(HEADER), *(",".join(row) for row in rows)]
    if trailer is not None:
        lines.append(",".join(trailer))
    return ("\n".join(lines) + "\n").encode()


async def map_medical_claims(tpa: str) -> None:
    try:
        await create_table(tpa, "MEDICAL_CLAIMS", user="tests")
    except ApiError as error:
        if error.code != "table_exists":
            raise
    base = uuid.uuid4().int % 10**9
    await warehouse().execute_many(
        "INSERT INTO SILVER.FIELD_MAPPINGS (MAPPING_ID, TPA, SOURCE_FIELD, TARGET_TABLE, TARGET_COLUMN, "
        "MAPPING_METHOD, APPROVED) VALUES (?, ?, ?, 'MEDICAL_CLAIMS', ?, 'MANUAL', TRUE)",
        [(base + i, tpa, source, target) for i, (source, target) in enumerate(MAPPINGS.items())],
    )


async def load_file(client: Any, tpa: str, name: str, content: bytes) -> dict[str, Any]:
    """Upload and load one file, transform MEDICAL_CLAIMS and refresh Gold; returns the queue entry."""
    entry = await upload_and_process(client, tpa, name, content)
    assert entry["STATUS"] == "SUCCESS", entry["ERROR_MESSAGE"]
    await transform(tpa, "MEDICAL_CLAIMS", user="tests")
    await refresh(tpa, user="tests")
    return entry
