"""Bearer token -> user, resolved once per token for a few seconds in each process.

Revoking, expiring or changing a token, or changing its user, the user's groups or TPA scope, bumps the `api_tokens`
generation in the shared cache; every request checks that generation, so revocation is immediate in every
process that shares the cache.
"""

import copy
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from . import caching
from .models import ApiToken, TpaScope, hash_token
from .roles import highest_role
from .scope import scope_from_codes

LAST_USED_RESOLUTION = timedelta(minutes=5)
RESOLUTION_SECONDS = 10.0
RESOLVED_LIMIT = 10_000
TOKENS_NAMESPACE = "api_tokens"


@dataclass(frozen=True)
class Resolution:
    user: AbstractBaseUser | None
    seconds_valid: float


@dataclass(frozen=True)
class _Remembered:
    resolution: Resolution
    generation: str
    until: float


_remembered: dict[str, _Remembered] = {}


def _resolve(key_hash: str) -> Resolution:
    """One thread hop: the token, its user, the user's role and TPA scope together."""
    token = ApiToken.objects.select_related("user").filter(key_hash=key_hash).first()
    if token is None or not token.is_usable or not token.user.is_active:
        return Resolution(None, RESOLUTION_SECONDS)
    user = token.user
    user._medallion_token = token  # its read-only flag and TPA scope, for medallion.access
    user._medallion_role = highest_role(list(user.groups.values_list("name", flat=True)), superuser=user.is_superuser)
    user._medallion_scope = scope_from_codes(user.tpa_scopes.values_list("tpa_code", flat=True))
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    until_expiry = (token.expires_at - now).total_seconds() if token.expires_at else RESOLUTION_SECONDS
    return Resolution(user, min(RESOLUTION_SECONDS, until_expiry))


_resolve_on_request_thread = sync_to_async(_resolve, thread_sensitive=True)


async def user_for_token(raw: str) -> AbstractBaseUser | None:
    key_hash = hash_token(raw)
    generation = await caching.current_generation(TOKENS_NAMESPACE)
    remembered = _remembered.get(key_hash)
    if remembered is None or remembered.generation != generation or remembered.until <= time.monotonic():
        resolution = await _resolve_on_request_thread(key_hash)
        if len(_remembered) >= RESOLVED_LIMIT:
            _remembered.clear()
        _remembered[key_hash] = _Remembered(resolution, generation, time.monotonic() + resolution.seconds_valid)
    else:
        resolution = remembered.resolution
    # Each request gets its own copy: views may set attributes on request.user.
    return copy.copy(resolution.user)


def forget_resolved_tokens(*_args: Any, **_kwargs: Any) -> None:
    """Every process resolves every token afresh on its next request (a signal receiver, or call it after
    a bulk `update()` that bypasses signals)."""
    caching.invalidate_sync(TOKENS_NAMESPACE)


def connect_signals() -> None:
    user_model = get_user_model()
    for model in (ApiToken, user_model, Group, TpaScope):
        post_save.connect(forget_resolved_tokens, sender=model, dispatch_uid=f"tokens-save-{model.__name__}")
        post_delete.connect(forget_resolved_tokens, sender=model, dispatch_uid=f"tokens-delete-{model.__name__}")
    m2m_changed.connect(forget_resolved_tokens, sender=user_model.groups.through, dispatch_uid="tokens-groups")
