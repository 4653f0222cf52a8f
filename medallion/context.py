import functools
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse

from medallion.roles import has_role

# (section, links); each link is (label, URL name, the least role that may open it).
NAVIGATION: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "Bronze",
        (
            ("Upload", "bronze-upload", "operator"),
            ("Processing status", "bronze-status", "viewer"),
            ("Stages", "bronze-stages", "viewer"),
            ("Raw data", "bronze-data", "viewer"),
            ("Source fields", "bronze-fields", "viewer"),
            ("File layouts", "bronze-layouts", "viewer"),
        ),
    ),
    (
        "Silver",
        (
            ("Schemas", "silver-schemas", "viewer"),
            ("Mappings", "silver-mappings", "viewer"),
            ("Mappings overview", "silver-mappings-overview", "viewer"),
            ("Transform", "silver-transform", "viewer"),
            ("Data", "silver-data", "viewer"),
            ("Quality", "silver-quality", "viewer"),
            ("Quarantine", "silver-quarantine", "viewer"),
            ("Flagged", "silver-flags", "viewer"),
        ),
    ),
    (
        "Gold",
        (
            ("Analytics", "gold-analytics", "viewer"),
            ("Metrics", "gold-metrics", "viewer"),
            ("Quality", "gold-quality", "viewer"),
            ("Rules", "gold-rules", "viewer"),
            ("Reconciliation", "gold-reconciliation", "viewer"),
        ),
    ),
    (
        "Operations",
        (
            ("TPAs", "tpa-manage", "admin"),
            ("Tasks", "ops-tasks", "admin"),
            ("Logs", "ops-logs", "admin"),
            ("System", "ops-system", "admin"),
            ("Schema check", "ops-schema", "admin"),
            ("Audit trail", "ops-audit", "admin"),
            ("Clear data", "ops-clear-data", "admin"),
            ("Expected files and alerts", "ops-alerts", "admin"),
            ("Django admin", "admin:index", "admin"),
            ("API docs", "api-docs", "viewer"),
        ),
    ),
)


def navigation_for(role: str | None) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """The menu a role sees: only links it may open, and no empty sections."""
    return _navigation(role, get_script_prefix(), get_urlconf())


@functools.cache
def _navigation(
    role: str | None, _script_prefix: str, _urlconf: str | None
) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Reversed once per role, prefix and URL configuration: every page renders the menu."""
    sections = []
    for title, links in NAVIGATION:
        allowed = tuple((label, reverse(name)) for label, name, needed in links if has_role(role, needed))
        if allowed:
            sections.append((title, allowed))
    return tuple(sections)


def warehouse_label() -> str:
    url = settings.WAREHOUSE_URL
    if url.startswith("snowflake://"):
        from medallion.warehouse import warehouse

        info = warehouse().info
        return f"Snowflake {info.account or ''} · {info.database}"
    return f"Embedded DuckDB · {settings.WAREHOUSE_DATABASE}"


def site(request: HttpRequest) -> dict[str, Any]:
    role = getattr(request, "role", None)
    return {
        "navigation": navigation_for(role),
        "warehouse_label": warehouse_label(),
        "can_write": has_role(role, "operator"),
        "is_admin": has_role(role, "admin"),
        "current_path": request.path,
    }
