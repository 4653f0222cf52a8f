"""Deploy checks Django skips because DjangoEssentialsMiddleware runs its security and CSRF middleware inline."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks.security import base, csrf


@register(Tags.security, deploy=True)
def inline_security_middleware(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    issues: list[CheckMessage] = []
    if not settings.SECURE_HSTS_SECONDS:
        issues.append(base.W004)
    if not settings.SECURE_SSL_REDIRECT:
        issues.append(base.W008)
    if not settings.CSRF_COOKIE_SECURE:
        issues.append(csrf.W016)
    return issues
