"""The OpenAPI 3.1 description of every `/api` route, built from Django's URL resolver: the paths, methods and
roles come from the routes and their `@api` views, so a route cannot exist without appearing here. What the
views read from the query string or body is listed in PARAMETERS (tests check it against the routes)."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

API_PREFIX = "/api/"
CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")
PUBLIC = "none"
OCTETS = "application/octet-stream"
PAGING = ("limit", "offset")
LOG_FILTERS = ("days", *PAGING)
INTEGER_QUERY = {"limit", "offset", "days", "top_n", "batch_size", "min_response_time"}


@dataclass(frozen=True)
class Parameters:
    query: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    body_is_array: bool = False
    multipart: bool = False


QUERY_OR_BODY = ("table_name", "tpa", "batch_id")
SCHEDULE = Parameters(body=("schedule",))
PARAMETERS: dict[tuple[str, str], Parameters] = {
    ("GET", "/api/tpas"): Parameters(query=("active",)),
    ("POST", "/api/tpas"): Parameters(body=("tpa_code", "tpa_name", "tpa_description")),
    ("PUT", "/api/tpas/{tpa_code}"): Parameters(body=("tpa_name", "tpa_description", "active", "tpa_code")),
    ("PATCH", "/api/tpas/{tpa_code}/status"): Parameters(body=("active",)),
    ("GET", "/api/bronze/source-fields"): Parameters(query=("tpa",)),
    ("POST", "/api/bronze/upload"): Parameters(multipart=True),
    ("GET", "/api/bronze/queue"): Parameters(query=("tpa", "status", "file_type", *PAGING)),
    ("GET", "/api/bronze/status"): Parameters(query=("tpa",)),
    ("GET", "/api/bronze/stats"): Parameters(query=("tpa",)),
    ("GET", "/api/bronze/raw-data"): Parameters(query=("tpa", "file_name", "search", *PAGING)),
    ("DELETE", "/api/bronze/stages/{stage_name}/files"): Parameters(query=("file_path",)),
    ("POST", "/api/bronze/stages/{stage_name}/files/bulk-delete"): Parameters(body_is_array=True),
    ("PUT", "/api/bronze/tasks/{task_name}/schedule"): SCHEDULE,
    ("POST", "/api/bronze/clear-all-data"): Parameters(body=("confirm",)),
    ("DELETE", "/api/bronze/data/file/{file_name}"): Parameters(query=("tpa",)),
    ("GET", "/api/silver/schemas"): Parameters(query=("table_name", "tpa")),
    ("POST", "/api/silver/schemas"): Parameters(
        body=("table_name", "column_name", "data_type", "nullable", "default_value", "description")
    ),
    ("PUT", "/api/silver/schemas/{schema_id}"): Parameters(
        body=("data_type", "nullable", "default_value", "description")
    ),
    ("DELETE", "/api/silver/schemas/table/{table_name}"): Parameters(query=("tpa",)),
    ("GET", "/api/silver/tables"): Parameters(query=("tpa",)),
    ("GET", "/api/silver/tables/exists"): Parameters(query=("table_name", "tpa")),
    ("POST", "/api/silver/tables/create"): Parameters(query=("table_name", "tpa"), body=("table_name", "tpa")),
    ("DELETE", "/api/silver/tables/delete"): Parameters(query=("table_name", "tpa")),
    ("GET", "/api/silver/data"): Parameters(query=("tpa", "table_name", *PAGING)),
    ("GET", "/api/silver/data/stats"): Parameters(query=("tpa", "table_name")),
    ("GET", "/api/silver/mappings"): Parameters(query=("tpa", "target_table")),
    ("GET", "/api/silver/mappings/validate"): Parameters(query=("tpa", "target_table")),
    ("POST", "/api/silver/mappings"): Parameters(
        body=("source_field", "target_table", "target_column", "tpa", "transformation_logic", "description")
    ),
    ("POST", "/api/silver/mappings/auto-ml"): Parameters(
        body=("source_table", "target_table", "tpa", "top_n", "min_confidence")
    ),
    ("POST", "/api/silver/mappings/auto-llm"): Parameters(body=("source_table", "target_table", "tpa", "model_name")),
    ("POST", "/api/silver/transform"): Parameters(
        body=("source_table", "target_table", "tpa", "source_schema", "batch_size", "apply_rules", "incremental")
    ),
    ("PUT", "/api/silver/tasks/{task_name}/schedule"): SCHEDULE,
    ("POST", "/api/silver/quality/check"): Parameters(query=QUERY_OR_BODY, body=QUERY_OR_BODY),
    ("POST", "/api/silver/quality/check-all"): Parameters(query=("tpa", "batch_id"), body=("tpa", "batch_id")),
    ("GET", "/api/silver/quality/summary"): Parameters(query=("tpa",)),
    ("GET", "/api/silver/quality/failures"): Parameters(query=("tpa", "table_name", *PAGING)),
    ("GET", "/api/silver/quality/trends"): Parameters(query=("tpa", "table_name", *PAGING)),
    ("GET", "/api/silver/quality/metrics"): Parameters(query=("tpa", "table_name", "batch_id")),
    ("GET", "/api/gold/analytics/{table_name}"): Parameters(query=("tpa", *PAGING)),
    ("GET", "/api/gold/analytics/{table_name}/stats"): Parameters(query=("tpa",)),
    ("GET", "/api/gold/metrics"): Parameters(query=("tpa",)),
    ("GET", "/api/gold/quality/results"): Parameters(query=("tpa", *PAGING)),
    ("GET", "/api/gold/quality/stats"): Parameters(query=("tpa",)),
    ("GET", "/api/gold/rules/transformation"): Parameters(query=("tpa",)),
    ("GET", "/api/gold/rules/quality"): Parameters(query=("tpa",)),
    ("PATCH", "/api/gold/rules/transformation/{rule_id}/status"): Parameters(body=("is_active",)),
    ("PATCH", "/api/gold/rules/quality/{rule_id}/status"): Parameters(body=("is_active",)),
    ("PUT", "/api/gold/tasks/{task_name}/schedule"): SCHEDULE,
    ("GET", "/api/logs/application"): Parameters(query=("level", "source", *LOG_FILTERS)),
    ("GET", "/api/logs/tasks"): Parameters(query=("task_name", "status", *LOG_FILTERS)),
    ("GET", "/api/logs/file-processing"): Parameters(query=("file_name", "stage", "tpa", *LOG_FILTERS)),
    ("GET", "/api/logs/errors"): Parameters(query=("source", "resolution_status", *LOG_FILTERS)),
    ("GET", "/api/logs/api-requests"): Parameters(query=("method", "path", "min_response_time", *LOG_FILTERS)),
    ("GET", "/api/logs/stats"): Parameters(query=("days",)),
    ("GET", "/api/events"): Parameters(query=("topics",)),
}
ERROR_RESPONSES = {
    "400": "Malformed request (the body is not valid JSON)",
    "401": "Not signed in, or the API token is unknown, revoked or expired",
    "403": "The caller's role is below the route's role, or CSRF failed on a session call",
    "404": "Nothing with that key",
    "409": "Conflicts with the current state",
    "422": "A parameter is missing or invalid (`errors` names each field)",
    "503": "The warehouse is unavailable",
}


@dataclass(frozen=True)
class Route:
    """One method of one `/api` route, as Django resolves it."""

    method: str
    path: str
    role: str
    summary: str
    integer_parameters: frozenset[str]


def walk(patterns: list[Any], prefix: str = "/") -> Iterator[tuple[str, Any]]:
    """(route, view) of every URL pattern, as Django's resolver nests them."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def routes() -> list[Route]:
    """Every method of every `/api` route with a view that declares its methods (catch-alls are left out)."""
    found: dict[tuple[str, str], Route] = {}
    for route, callback in walk(get_resolver().url_patterns):
        if not route.startswith(API_PREFIX) or hasattr(callback, "page_role"):
            continue
        integers = frozenset(match["name"] for match in CONVERTER.finditer(route) if match["kind"] == "int")
        path = CONVERTER.sub(lambda match: "{" + match["name"] + "}", route)
        for method, handler in getattr(callback, "methods", {"GET": callback}).items():
            summary = (handler.__doc__ or "").strip().splitlines()[0] if handler.__doc__ else handler.__name__
            role = getattr(handler, "api_role", PUBLIC) or PUBLIC
            found.setdefault((method, path), Route(method, path, role, summary.replace("_", " "), integers))
    return sorted(found.values(), key=lambda r: (r.path, METHOD_ORDER.index(r.method)))


def _parameter(name: str, location: str, integers: frozenset[str]) -> dict[str, Any]:
    numeric = name in integers or (location == "query" and name in INTEGER_QUERY)
    schema: dict[str, Any] = {"type": "integer"} if numeric else {"type": "string"}
    if location == "path":
        schema |= {"minimum": 1} if numeric else {"minLength": 1}
    return {"name": name, "in": location, "required": location == "path", "schema": schema}


def _request_body(parameters: Parameters) -> dict[str, Any] | None:
    if parameters.multipart:
        file_form = {"tpa": {"type": "string"}, "file": {"type": "string", "contentMediaType": OCTETS}}
        schema = {"type": "object", "properties": file_form, "required": ["tpa", "file"]}
        return {"content": {"multipart/form-data": {"schema": schema}}}
    if parameters.body_is_array:
        return {"content": {"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}}}
    if parameters.body:
        properties = {name: {} for name in parameters.body}
        return {"content": {"application/json": {"schema": {"type": ["object", "null"], "properties": properties}}}}
    return None


def _operation(route: Route) -> dict[str, Any]:
    parameters = PARAMETERS.get((route.method, route.path), Parameters())
    path_names = [match[1:-1] for match in re.findall(r"\{\w+\}", route.path)]
    operation: dict[str, Any] = {
        "operationId": f"{route.method.lower()}{re.sub(r'[^A-Za-z0-9]+', '_', route.path[4:]).rstrip('_')}",
        "summary": route.summary,
        "description": f"Role: **{route.role}**." if route.role != PUBLIC else "No authentication.",
        "tags": [route.path.split("/")[2]],
        "x-role": route.role,
        "parameters": [_parameter(name, "path", route.integer_parameters) for name in path_names]
        + [_parameter(name, "query", route.integer_parameters) for name in parameters.query],
        "responses": {
            "2XX": {"description": "Success (200, 201 or 202)", "content": {"application/json": {"schema": {}}}},
            **{
                status: {"$ref": f"#/components/responses/E{status}"}
                for status in ERROR_RESPONSES
                if route.role != PUBLIC or status not in ("401", "403")
            },
        },
    }
    if route.role == PUBLIC:
        operation["security"] = []
    body = _request_body(parameters)
    if body:
        operation["requestBody"] = body
    return operation


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document served at /api/openapi.json."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes():
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    error = {
        "type": "object",
        "required": ["detail", "code"],
        "properties": {
            "detail": {"type": "string", "description": "A readable message"},
            "code": {"type": "string", "description": "A stable machine-readable code"},
            "errors": {
                "type": "array",
                "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}},
            },
            "request_id": {"type": "string", "description": "On 5xx: quote it to support"},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Medallion API",
            "version": "1",
            "description": "Claims files from TPAs through Bronze, Silver and Gold. Roles are cumulative: "
            "viewer < operator < admin. Scripts send `Authorization: Bearer <token>`; the browser uses the session "
            "cookie and sends the `XSRF-TOKEN` cookie back as the `X-XSRF-TOKEN` header on writes.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": {"Error": error},
            "responses": {
                f"E{status}": {
                    "description": text,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
                for status, text in ERROR_RESPONSES.items()
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "manage.py createapitoken"},
                "session": {"type": "apiKey", "in": "cookie", "name": "sessionid", "description": "Signed-in browser"},
            },
        },
        "security": [{"bearer": []}, {"session": []}],
    }
