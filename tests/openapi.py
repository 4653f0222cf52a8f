"""The `/api` endpoint table (tests/data/endpoint_roles.csv, copied from the contract's §3) with what each route
reads (from the server's OpenAPI generator), for the access matrix, the fuzzers and schemathesis."""

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from medallion import openapi
from medallion.openapi import Parameters

ENDPOINT_TABLE = Path(__file__).parent / "data" / "endpoint_roles.csv"
CONTRACT = Path(__file__).resolve().parent.parent.parent / "shared" / "spec" / "api.md"
PATH_PARAMETER = re.compile(r"\{(\w+)\}")
INTEGER_PATH_PARAMETERS = {"queue_id", "schema_id", "mapping_id", "rule_id", "record_id", "subscription_id", "error_id"}
HARMLESS_PATH_VALUES = {
    "tpa_code": "NO_SUCH_TPA_X",
    "stage_name": "SRC",
    "task_name": "NO_SUCH_TASK_X",
    "file_name": "NO_SUCH_TPA_X/none.csv",
    "table_name": "NO_SUCH_TABLE_X",
    "layout_name": "NO_SUCH_LAYOUT_X",
    "file_kind": "NO_SUCH_KIND_X",
    "claim_id": "NO_SUCH_CLAIM_X",
    "batch_id": "NO_SUCH_BATCH_X",
    **{name: "999999999" for name in sorted(INTEGER_PATH_PARAMETERS)},
}
HARMLESS_BODIES: dict[str, Any] = {
    # Allowed callers must not destroy shared data: clear-all-data without the confirmation stops at 422.
    "B18": {"confirm": "NO"},
    "B9": ["NO_SUCH_TPA_X/none.csv"],
}


@dataclass(frozen=True)
class Endpoint:
    id: str
    method: str
    path: str
    role: str
    parameters: Parameters = field(default_factory=Parameters)

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def path_parameters(self) -> list[str]:
        return PATH_PARAMETER.findall(self.path)

    def url(self, values: dict[str, str] | None = None) -> str:
        chosen = {**HARMLESS_PATH_VALUES, **(values or {})}
        return PATH_PARAMETER.sub(lambda match: quote(chosen[match.group(1)], safe=""), self.path)

    def __str__(self) -> str:
        return f"{self.id} {self.method} {self.path}"


def load_endpoints() -> list[Endpoint]:
    with ENDPOINT_TABLE.open(newline="") as stream:
        return [
            Endpoint(
                row["id"],
                row["method"],
                row["path"],
                row["role"],
                openapi.PARAMETERS.get((row["method"], row["path"]), Parameters()),
            )
            for row in csv.DictReader(stream)
        ]


def api_endpoints() -> list[Endpoint]:
    return [endpoint for endpoint in load_endpoints() if endpoint.is_api]


def contract_table_rows() -> list[tuple[str, str, str, str]]:
    """(id, method, path, role) rows of the contract's §3 table, read from the shared spec."""
    rows = []
    for line in CONTRACT.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and re.fullmatch(r"[A-Z]\d+", cells[0]) and cells[1].isupper():
            rows.append((cells[0], cells[1], cells[2].strip("`"), cells[3]))
    return rows


def openapi_document(exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The server's own /api/openapi.json document, without the operations of the contract ids in `exclude`."""
    document = openapi.document()
    for endpoint in api_endpoints():
        if endpoint.id in exclude:
            document["paths"].get(endpoint.path, {}).pop(endpoint.method.lower(), None)
    return document
