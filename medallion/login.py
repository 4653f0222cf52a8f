"""Sign-in and sign-out for the site and the Django admin: throttled per account and per client address, audited.

Failures are counted in the shared cache (Redis in production, so every process sees the same counts); a count
lives LOGIN_LOCKOUT_SECONDS after the latest failure. While an account or an address is at its limit even the
right password is refused, with a message saying so; a successful sign-in clears the account's count."""

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from medallion import audit


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def _key(kind: str, value: str) -> str:
    return f"medallion:login-failures:{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


def _throttle_keys(request: HttpRequest, username: str) -> dict[str, int]:
    return {
        _key("account", username.strip().lower()): settings.LOGIN_FAILURES_PER_ACCOUNT,
        _key("address", client_address(request)): settings.LOGIN_FAILURES_PER_ADDRESS,
    }


def is_locked_out(request: HttpRequest, username: str) -> bool:
    limits = _throttle_keys(request, username)
    counts = cache.get_many(list(limits))
    return any(counts.get(key, 0) >= limit for key, limit in limits.items())


def register_failure(request: HttpRequest, username: str) -> None:
    window = settings.LOGIN_LOCKOUT_SECONDS
    for key in _throttle_keys(request, username):
        if cache.add(key, 1, window):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, window)
        cache.touch(key, window)


def register_success(username: str) -> None:
    cache.delete(_key("account", username.strip().lower()))


def _audit_sign_in(request: HttpRequest, username: str, action: str, page: str) -> None:
    audit.record_sync(
        username[:150] or None,
        action,
        "LOGIN",
        page,
        after={"client_address": client_address(request)},
        request_id=getattr(request, "request_id", None),
    )


class ThrottledLoginMixin:
    """Goes in front of AuthenticationForm.clean: refuse while locked out, count and audit every outcome."""

    request: HttpRequest | None
    cleaned_data: dict[str, Any]
    audit_page = "site"

    def clean(self) -> dict[str, Any]:
        request = self.request
        assert request is not None, "the login form is always bound to its request"
        username = self.cleaned_data.get("username") or ""
        if is_locked_out(request, username):
            _audit_sign_in(request, username, "LOGIN_LOCKED_OUT", self.audit_page)
            minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
            raise ValidationError(
                f"Too many failed sign-in attempts for this account or from this address. "
                f"Try again in {minutes} minutes.",
                code="locked_out",
            )
        try:
            cleaned = super().clean()  # type: ignore[misc]
        except ValidationError:
            register_failure(request, username)
            _audit_sign_in(request, username, "LOGIN_FAILED", self.audit_page)
            raise
        register_success(username)
        _audit_sign_in(request, username, "LOGIN", self.audit_page)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    audit_page = "django-admin"


class ThrottledLoginView(LoginView):
    authentication_form = ThrottledAuthenticationForm

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error("__all__", "locked_out"):
            response.status_code = 429
        return response


class AuditedLogoutView(LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            audit.record_sync(
                request.user.get_username(),
                "LOGOUT",
                "LOGIN",
                "site",
                request_id=getattr(request, "request_id", None),
            )
        return super().post(request, *args, **kwargs)
