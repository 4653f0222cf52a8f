"""Bearer tokens are resolved once per process for a few seconds; any change is seen on the next request."""

import asyncio
import os
import subprocess
import sys
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from medallion import tokens
from medallion.models import ApiToken, TpaScope
from medallion.roles import grant_role

FORGET_IN_OTHER_PROCESS = """
import os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
django.setup()
from medallion.tokens import forget_resolved_tokens
forget_resolved_tokens()
"""


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []

    def counting(key_hash: str) -> tokens.Resolution:
        seen.append(key_hash)
        return tokens._resolve(key_hash)

    monkeypatch.setattr(tokens, "_resolve_on_request_thread", sync_to_async(counting, thread_sensitive=True))
    tokens._remembered.clear()
    return seen


async def _issued(username: str, role: str) -> tuple[Any, ApiToken, str]:
    user = await get_user_model().objects.acreate(username=username)
    await sync_to_async(grant_role)(user, role)
    token, raw = await sync_to_async(ApiToken.issue)(user)
    return user, token, raw


async def test_a_token_is_resolved_once_and_revocation_is_immediate(transactional_db: None, lookups: list[str]) -> None:
    _user, token, raw = await _issued("cached-token-user", "operator")
    first, second = await tokens.user_for_token(raw), await tokens.user_for_token(raw)
    assert first is not None and second is not None and first is not second
    assert first.pk == second.pk and second._medallion_role == "operator"
    assert len(lookups) == 1

    token.revoked_at = timezone.now()
    await token.asave()
    assert await tokens.user_for_token(raw) is None
    assert len(lookups) == 2


async def test_user_and_group_changes_are_seen_on_the_next_request(transactional_db: None, lookups: list[str]) -> None:
    user, _token, raw = await _issued("changing-user", "viewer")
    assert (await tokens.user_for_token(raw))._medallion_role == "viewer"
    await user.groups.aadd((await Group.objects.aget_or_create(name="admin"))[0])
    assert (await tokens.user_for_token(raw))._medallion_role == "admin"
    user.is_active = False
    await user.asave()
    assert await tokens.user_for_token(raw) is None
    assert len(lookups) == 3


async def test_tpa_scope_is_resolved_with_the_token_and_changes_are_seen_on_the_next_request(
    transactional_db: None, lookups: list[str]
) -> None:
    user, _token, raw = await _issued("scoped-token-user", "operator")
    assert (await tokens.user_for_token(raw))._medallion_scope is None
    scope = await TpaScope.objects.acreate(user=user, tpa_code="ACME")
    assert (await tokens.user_for_token(raw))._medallion_scope == frozenset({"ACME"})
    await scope.adelete()
    assert (await tokens.user_for_token(raw))._medallion_scope is None
    assert len(lookups) == 3


def _redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.mark.services
def test_revocation_in_another_process_sharing_the_cache(
    require_redis: None, transactional_db: None, settings: Any, lookups: list[str]
) -> None:
    from django.core.cache import caches

    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": _redis_url()}}
    try:
        _user, token, raw = asyncio.run(_issued("two-process-user", "viewer"))
        assert asyncio.run(tokens.user_for_token(raw)) is not None
        # Revoked behind this process's back (no signal here): the other process's bump must reach it.
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        assert asyncio.run(tokens.user_for_token(raw)) is not None
        subprocess.run(
            [sys.executable, "-c", FORGET_IN_OTHER_PROCESS],
            check=True,
            env={**os.environ, "CACHE_URL": _redis_url()},
            cwd=settings.BASE_DIR,
            timeout=60,
        )
        assert asyncio.run(tokens.user_for_token(raw)) is None
        assert len(lookups) == 2
    finally:
        caches["default"].clear()
