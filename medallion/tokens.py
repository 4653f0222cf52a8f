from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from .models import ApiToken, hash_token

LAST_USED_RESOLUTION = timedelta(minutes=5)


async def user_for_token(raw: str) -> AbstractBaseUser | None:
    token = await ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).afirst()
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        await ApiToken.objects.filter(pk=token.pk).aupdate(last_used_at=now)
    return token.user
