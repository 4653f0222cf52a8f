"""Per request: the effective role and the TPA scope of the signed-in user or API token."""

from typing import Any

from django.http import HttpRequest

from medallion import audit
from medallion.models import ApiToken, TpaScope, hash_token
from medallion.roles import role_of
from medallion.scope import effective_role, scope_from_codes


async def scope_of_user(user: Any) -> frozenset[str] | None:
    """Resolved with a bearer token's user (medallion.tokens) or looked up here once per request."""
    resolved = getattr(user, "_medallion_scope", False)
    if resolved is not False:
        return resolved
    codes = [code async for code in TpaScope.objects.filter(user_id=user.pk).values_list("tpa_code", flat=True)]
    user._medallion_scope = scope_from_codes(codes)
    return user._medallion_scope


async def resolve_access(request: HttpRequest, user: Any) -> None:
    """Sets `request.role` and `request.tpa_scope`. A token's own scope narrows its user's, never widens it."""
    allowed = await scope_of_user(user)
    token = getattr(user, "_medallion_token", None)
    if token is not None and token.tpa_codes:
        token_codes = frozenset(str(code).upper() for code in token.tpa_codes)
        allowed = token_codes if allowed is None else allowed & token_codes
    request.tpa_scope = allowed
    request.role = effective_role(
        await role_of(user), read_only=bool(token is not None and token.read_only), scoped=allowed is not None
    )


async def audit_refused_token(request: HttpRequest) -> None:
    """A revoked token that is still used is worth an audit row: its holder did not get the message."""
    raw = request.headers.get("Authorization", "")[7:].strip()
    token = await ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).afirst()
    if token is not None and token.revoked_at is not None:
        await audit.record(
            token.user.get_username(),
            "TOKEN_USE_AFTER_REVOKE",
            "API_TOKEN",
            token.pk,
            after={"path": request.path[:200], "prefix": token.key_prefix},
            request_id=getattr(request, "request_id", None),
        )
