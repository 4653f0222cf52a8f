from datetime import timedelta

from asgiref.sync import sync_to_async
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from .models import ApiToken, hash_token
from .roles import highest_role

LAST_USED_RESOLUTION = timedelta(minutes=5)


def _user_for_token(raw: str) -> AbstractBaseUser | None:
    """One thread hop: the token, its user and the user's role together."""
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    user = token.user
    user._medallion_token = token  # its read-only flag and TPA scope, for medallion.access
    user._medallion_role = highest_role(list(user.groups.values_list("name", flat=True)), superuser=user.is_superuser)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user


user_for_token = sync_to_async(_user_for_token, thread_sensitive=True)
