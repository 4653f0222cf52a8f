from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from medallion.roles import has_role

NAVIGATION = (
    (
        "Bronze",
        "viewer",
        (
            ("Upload", "bronze-upload"),
            ("Processing status", "bronze-status"),
            ("Stages", "bronze-stages"),
            ("Raw data", "bronze-data"),
            ("Source fields", "bronze-fields"),
        ),
    ),
    (
        "Silver",
        "viewer",
        (
            ("Schemas", "silver-schemas"),
            ("Mappings", "silver-mappings"),
            ("Transform", "silver-transform"),
            ("Data", "silver-data"),
            ("Quality", "silver-quality"),
            ("Quarantine", "silver-quarantine"),
        ),
    ),
    (
        "Gold",
        "viewer",
        (
            ("Analytics", "gold-analytics"),
            ("Metrics", "gold-metrics"),
            ("Quality", "gold-quality"),
            ("Rules", "gold-rules"),
            ("Reconciliation", "gold-reconciliation"),
        ),
    ),
    (
        "Operations",
        "admin",
        (
            ("TPAs", "tpa-manage"),
            ("Tasks", "ops-tasks"),
            ("Logs", "ops-logs"),
            ("System", "ops-system"),
            ("Schema check", "ops-schema"),
            ("Audit trail", "ops-audit"),
            ("Clear data", "ops-clear-data"),
            ("Expected files and alerts", "ops-alerts"),
            ("Django admin", "admin:index"),
        ),
    ),
)


def warehouse_label() -> str:
    url = settings.WAREHOUSE_URL
    if url.startswith("snowflake://"):
        from medallion.warehouse import warehouse

        info = warehouse().info
        return f"Snowflake {info.account or ''} · {info.database}"
    return f"Embedded DuckDB · {settings.WAREHOUSE_DATABASE}"


def site(request: HttpRequest) -> dict[str, Any]:
    role = getattr(request, "role", None)
    sections = [
        (title, [(label, reverse(name)) for label, name in links])
        for title, needed, links in NAVIGATION
        if has_role(role, "viewer") and (needed != "admin" or has_role(role, "admin"))
    ]
    return {
        "navigation": sections,
        "warehouse_label": warehouse_label(),
        "can_write": has_role(role, "operator"),
        "is_admin": has_role(role, "admin"),
        "current_path": request.path,
    }
