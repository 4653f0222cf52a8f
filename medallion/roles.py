from typing import Any

ROLES = ("viewer", "operator", "admin")


def rank(role: str | None) -> int:
    return ROLES.index(role) + 1 if role in ROLES else 0


def has_role(actual: str | None, required: str) -> bool:
    return rank(actual) >= rank(required)


def highest_role(group_names: list[str], *, superuser: bool = False) -> str | None:
    if superuser:
        return "admin"
    granted = [name for name in group_names if name in ROLES]
    return max(granted, key=rank) if granted else None


async def role_of(user: Any) -> str | None:
    if not user.is_authenticated or not user.is_active:
        return None
    cached = getattr(user, "_medallion_role", False)
    if cached is not False:
        return cached
    names = [name async for name in user.groups.values_list("name", flat=True)]
    user._medallion_role = highest_role(names, superuser=user.is_superuser)
    return user._medallion_role


def grant_role(user: Any, role: str) -> None:
    """Make `role` the user's only role; admins also get the Django admin (staff and superuser)."""
    from django.contrib.auth.models import Group

    user.groups.set([Group.objects.get_or_create(name=role)[0]])
    user.is_staff = user.is_superuser = role == "admin"
    user.save(update_fields=["is_staff", "is_superuser"])
