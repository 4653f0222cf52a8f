import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "mdl_"


def new_raw_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="script")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    read_only = models.BooleanField(default=False, help_text="Acts as a viewer whatever the user's role.")
    tpa_codes = models.JSONField(
        default=list, blank=True, help_text='Limits the token to these TPA codes, e.g. ["ACME"]; empty: the user\'s.'
    )

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.key_prefix}… ({self.user})"

    def clean(self) -> None:
        if not isinstance(self.tpa_codes, list) or not all(isinstance(code, str) for code in self.tpa_codes):
            raise ValidationError({"tpa_codes": 'A list of TPA codes, e.g. ["ACME", "GLOBEX"].'})
        self.tpa_codes = sorted({code.strip().upper() for code in self.tpa_codes if code.strip()})

    @classmethod
    def issue(cls, user: object, name: str = "script") -> tuple["ApiToken", str]:
        raw = new_raw_token()
        token = cls.objects.create(user=user, name=name, key_hash=hash_token(raw), key_prefix=raw[:12])
        return token, raw

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class TpaScope(models.Model):
    """Limits a user to the TPAs listed for them; a user with no rows here sees every TPA."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tpa_scopes")
    tpa_code = models.CharField(max_length=50)

    class Meta:
        verbose_name = "TPA scope"
        constraints = [models.UniqueConstraint(fields=["user", "tpa_code"], name="one_scope_row_per_user_and_tpa")]

    def __str__(self) -> str:
        return f"{self.user} → {self.tpa_code}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.tpa_code = self.tpa_code.strip().upper()
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class CacheNamespace(models.Model):
    """Registry of cache namespaces for the admin; the cache API itself cannot list keys."""

    name = models.CharField(max_length=100, primary_key=True)
    ttl_seconds = models.PositiveIntegerField()

    class Meta:
        verbose_name = "cache namespace"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
