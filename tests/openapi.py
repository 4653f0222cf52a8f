"""The `/api` endpoint table (tests/data/endpoint_roles.csv, copied from the contract's §3) and an OpenAPI 3
description built from it, for the access matrix, the fuzzers and schemathesis."""

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

ENDPOINT_TABLE = Path(__file__).parent / "data" / "endpoint_roles.csv"
CONTRACT = Path(__file__).resolve().parent.parent.parent / "shared" / "spec" / "api.md"
PATH_PARAMETER = re.compile(r"\{(\w+)\}")
INTEGER_PATH_PARAMETERS = {"queue_id", "schema_id", "mapping_id", "rule_id"}
HARMLESS_PATH_VALUES = {
    "tpa_code": "NO_SUCH_TPA_X",
    "stage_name": "SRC",
    "task_name": "NO_SUCH_TASK_X",
    "file_name": "NO_SUCH_TPA_X/none.csv",
    "table_name": "NO_SUCH_TABLE_X",
    "queue_id": "999999999",
    "schema_id": "999999999",
    "mapping_id": "999999999",
    "rule_id": "999999999",
}
PAGING = ("limit", "offset")
LOG_FILTERS = ("days", *PAGING)


@dataclass(frozen=True)
class Parameters:
    query: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    body_is_array: bool = False
    multipart: bool = False


QUERY_OR_BODY = ("table_name", "tpa", "batch_id")
PARAMETERS: dict[str, Parameters] = {
    "T1": Parameters(query=("active",)),
    "T2": Parameters(body=("tpa_code", "tpa_name", "tpa_description")),
    "T3": Parameters(body=("tpa_name", "tpa_description", "active", "tpa_code")),
    "T5": Parameters(body=("active",)),
    "B1": Parameters(query=("tpa",)),
    "B2": Parameters(multipart=True),
    "B3": Parameters(query=("tpa", "status", "file_type", *PAGING)),
    "B4": Parameters(query=("tpa",)),
    "B5": Parameters(query=("tpa",)),
    "B6": Parameters(query=("tpa", "file_name", "search", *PAGING)),
    "B8": Parameters(query=("file_path",)),
    "B9": Parameters(body_is_array=True),
    "B17": Parameters(body=("schedule",)),
    "B18": Parameters(body=("confirm",)),
    "B19": Parameters(query=("tpa",)),
    "S1": Parameters(query=("table_name", "tpa")),
    "S4": Parameters(body=("table_name", "column_name", "data_type", "nullable", "default_value", "description")),
    "S5": Parameters(body=("data_type", "nullable", "default_value", "description")),
    "S7": Parameters(query=("tpa",)),
    "S8": Parameters(query=("tpa",)),
    "S9": Parameters(query=("table_name", "tpa")),
    "S10": Parameters(query=("table_name", "tpa"), body=("table_name", "tpa")),
    "S11": Parameters(query=("table_name", "tpa")),
    "S12": Parameters(query=("tpa", "table_name", *PAGING)),
    "S13": Parameters(query=("tpa", "table_name")),
    "S14": Parameters(query=("tpa", "target_table")),
    "S15": Parameters(query=("tpa", "target_table")),
    "S16": Parameters(
        body=("source_field", "target_table", "target_column", "tpa", "transformation_logic", "description")
    ),
    "S17": Parameters(body=("source_table", "target_table", "tpa", "top_n", "min_confidence")),
    "S18": Parameters(body=("source_table", "target_table", "tpa", "model_name")),
    "S21": Parameters(
        body=("source_table", "target_table", "tpa", "source_schema", "batch_size", "apply_rules", "incremental")
    ),
    "S25": Parameters(body=("schedule",)),
    "S26": Parameters(query=QUERY_OR_BODY, body=QUERY_OR_BODY),
    "S27": Parameters(query=("tpa", "batch_id"), body=("tpa", "batch_id")),
    "S28": Parameters(query=("tpa",)),
    "S29": Parameters(query=("tpa", "table_name", *PAGING)),
    "S30": Parameters(query=("tpa", "table_name", *PAGING)),
    "S31": Parameters(query=("tpa", "table_name", "batch_id")),
    "G1": Parameters(query=("tpa", *PAGING)),
    "G2": Parameters(query=("tpa",)),
    "G3": Parameters(query=("tpa",)),
    "G4": Parameters(query=("tpa", *PAGING)),
    "G5": Parameters(query=("tpa",)),
    "G6": Parameters(query=("tpa",)),
    "G7": Parameters(query=("tpa",)),
    "G8": Parameters(body=("is_active",)),
    "G9": Parameters(body=("is_active",)),
    "G13": Parameters(body=("schedule",)),
    "L1": Parameters(query=("level", "source", *LOG_FILTERS)),
    "L2": Parameters(query=("task_name", "status", *LOG_FILTERS)),
    "L3": Parameters(query=("file_name", "stage", "tpa", *LOG_FILTERS)),
    "L4": Parameters(query=("source", "resolution_status", *LOG_FILTERS)),
    "L5": Parameters(query=("method", "path", "min_response_time", *LOG_FILTERS)),
    "L6": Parameters(query=("days",)),
}
HARMLESS_BODIES: dict[str, Any] = {
    # Allowed callers must not destroy shared data: B18 without the confirmation stops at 422.
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
            Endpoint(row["id"], row["method"], row["path"], row["role"], PARAMETERS.get(row["id"], Parameters()))
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


def _schema_for(name: str) -> dict[str, Any]:
    if name in INTEGER_PATH_PARAMETERS:
        return {"type": "integer", "minimum": 1}
    return {"type": "string", "minLength": 1}


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": _schema_for(name)} for name in endpoint.path_parameters
    ]
    parameters += [{"name": name, "in": "query", "schema": {"type": "string"}} for name in endpoint.parameters.query]
    operation: dict[str, Any] = {
        "operationId": endpoint.id,
        "parameters": parameters,
        "responses": {"default": {"description": "JSON", "content": {"application/json": {"schema": {}}}}},
    }
    if endpoint.role not in ("none",):
        operation["security"] = [{"bearer": []}]
    if endpoint.parameters.body:
        properties = {name: {} for name in endpoint.parameters.body}
        operation["requestBody"] = {
            "content": {"application/json": {"schema": {"type": "object", "properties": properties}}}
        }
    elif endpoint.parameters.body_is_array:
        operation["requestBody"] = {
            "content": {"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}}
        }
    elif endpoint.parameters.multipart:
        operation["requestBody"] = {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"tpa": {"type": "string"}, "file": {"type": "string", "format": "binary"}},
                    }
                }
            }
        }
    return operation


def openapi_document(exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in api_endpoints():
        if endpoint.id not in exclude:
            paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Medallion API (from the contract's endpoint table)", "version": "1"},
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
