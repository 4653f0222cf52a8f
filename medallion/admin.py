from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from medallion import audit, caching
from medallion.login import ThrottledAdminAuthenticationForm
from medallion.models import ApiToken, CacheNamespace, TpaScope, hash_token, new_raw_token
from medallion.tokens import forget_resolved_tokens

admin.site.login_form = ThrottledAdminAuthenticationForm
staff_permission = admin.site.has_permission


def unscoped_staff_only(request: HttpRequest) -> bool:
    """The Django admin lists every TPA's scopes, users and tokens, and a TPA-scoped user acts at most as an
    operator: only unscoped staff get in."""
    return staff_permission(request) and not TpaScope.objects.filter(user_id=request.user.pk).exists()


admin.site.has_permission = unscoped_staff_only


def _audit(request: HttpRequest, action: str, entity_type: str, entity: object, **values: Any) -> None:
    audit.record_sync(
        request.user.get_username(), action, entity_type, entity, request_id=getattr(request, "request_id", None),
        **values,
    )  # fmt: skip


def _token_facts(token: ApiToken) -> dict[str, Any]:
    return {"user": token.user.get_username(), "name": token.name, "read_only": token.read_only,
            "tpa_codes": token.tpa_codes, "prefix": token.key_prefix}  # fmt: skip


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("key_prefix", "user", "name", "created_at", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "name", "key_prefix")
    fields = ("user", "name", "read_only", "tpa_codes", "expires_at", "revoked_at")
    actions = ("revoke",)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if not change:
            raw = new_raw_token()
            obj.key_hash = hash_token(raw)
            obj.key_prefix = raw[:12]
            request.new_raw_token = raw
        super().save_model(request, obj, form, change)
        revoked = change and "revoked_at" in form.changed_data and obj.revoked_at is not None
        action = "TOKEN_REVOKE" if revoked else "TOKEN_UPDATE" if change else "TOKEN_CREATE"
        _audit(request, action, "API_TOKEN", obj.pk, after=_token_facts(obj))

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None) -> HttpResponse:
        """The new token on the page itself: never in the messages cookie, never cached."""
        context = {
            **self.admin_site.each_context(request),
            "raw_token": request.new_raw_token,
            "token": obj,
            "changelist_url": reverse("admin:medallion_apitoken_changelist"),
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "admin/medallion/apitoken/created.html", context)
        add_never_cache_headers(response)
        return response

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = list(queryset.filter(revoked_at__isnull=True).select_related("user"))
        ApiToken.objects.filter(pk__in=[token.pk for token in revoked]).update(revoked_at=timezone.now())
        forget_resolved_tokens()
        for token in revoked:
            _audit(request, "TOKEN_REVOKE", "API_TOKEN", token.pk, after=_token_facts(token))
        messages.success(request, f"{len(revoked)} token(s) revoked.")


@admin.register(TpaScope)
class TpaScopeAdmin(admin.ModelAdmin):
    list_display = ("user", "tpa_code")
    search_fields = ("user__username", "tpa_code")

    def save_model(self, request: HttpRequest, obj: TpaScope, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _audit(request, "SCOPE_CHANGE", "USER", obj.user.get_username(), tpa=obj.tpa_code, after=_scope(obj.user))

    def delete_model(self, request: HttpRequest, obj: TpaScope) -> None:
        super().delete_model(request, obj)
        _audit(request, "SCOPE_CHANGE", "USER", obj.user.get_username(), tpa=obj.tpa_code, after=_scope(obj.user))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TpaScope]) -> None:
        for scope in list(queryset.select_related("user")):
            self.delete_model(request, scope)


def _scope(user: Any) -> list[str]:
    return sorted(TpaScope.objects.filter(user=user).values_list("tpa_code", flat=True))


class AuditedUserAdmin(UserAdmin):
    """The stock user admin; changes of role (groups, staff, superuser) are audited."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        request.roles_before = _roles(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        user, before = form.instance, request.roles_before
        after = _roles(user)
        if after != before:
            _audit(request, "ROLE_CHANGE", "USER", user.get_username(), before=before, after=after)


def _roles(user: Any) -> dict[str, Any]:
    groups = sorted(user.groups.values_list("name", flat=True)) if user.pk else []
    return {"groups": groups, "staff": user.is_staff, "superuser": user.is_superuser}


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), AuditedUserAdmin)


@admin.register(CacheNamespace)
class CacheNamespaceAdmin(admin.ModelAdmin):
    list_display = ("name", "ttl_seconds", "hits", "misses", "hit_rate", "invalidations", "last_invalidation")
    actions = ("invalidate_selected", "clear_everything")
    readonly_fields = ("name", "ttl_seconds")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        for stats in caching.namespaces.values():
            CacheNamespace.objects.update_or_create(name=stats.name, defaults={"ttl_seconds": stats.ttl})
        self._last = caching.last_invalidations()
        return super().changelist_view(request, extra_context)

    def _stats(self, obj: CacheNamespace) -> caching.NamespaceStats:
        return caching.namespaces.get(obj.name) or caching.NamespaceStats(obj.name, obj.ttl_seconds)

    @admin.display(description="hits (this process)")
    def hits(self, obj: CacheNamespace) -> int:
        return self._stats(obj).hits

    @admin.display(description="misses (this process)")
    def misses(self, obj: CacheNamespace) -> int:
        return self._stats(obj).misses

    @admin.display(description="hit rate")
    def hit_rate(self, obj: CacheNamespace) -> str:
        rate = self._stats(obj).hit_rate
        return "–" if rate is None else f"{rate:.1%}"

    @admin.display(description="invalidations (this process)")
    def invalidations(self, obj: CacheNamespace) -> int:
        return self._stats(obj).invalidations

    @admin.display(description="last invalidation (any process)")
    def last_invalidation(self, obj: CacheNamespace) -> str:
        return getattr(self, "_last", {}).get(obj.name) or "never"

    @admin.action(description="Invalidate selected namespaces")
    def invalidate_selected(self, request: HttpRequest, queryset: QuerySet[CacheNamespace]) -> None:
        names = list(queryset.values_list("name", flat=True))
        caching.invalidate_sync(*names)
        messages.success(request, f"Invalidated: {', '.join(names)}")

    @admin.action(description="Clear the whole cache")
    def clear_everything(self, request: HttpRequest, queryset: QuerySet[CacheNamespace]) -> None:
        caching.clear_all()
        messages.success(request, "The whole cache was cleared.")
