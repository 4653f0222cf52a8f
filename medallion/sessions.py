"""Response headers for what signed-in users see, and the idle timeout of browser sessions."""

import time
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.http.response import HttpResponseBase

Response = TypeVar("Response", bound=HttpResponseBase)
LAST_SEEN_KEY = "medallion_last_seen"
# The session is written at most this often to record activity, not on every request.
LAST_SEEN_RESOLUTION_SECONDS = 60


def protect(response: Response, *, page: bool) -> Response:
    """Member data is never stored by browsers or proxies; pages also get the Content-Security-Policy."""
    response["Cache-Control"] = "no-store"
    if page:
        response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
    return response


async def idle_session_ended(request: HttpRequest) -> bool:
    """True (and the session flushed) when a signed-in browser session was idle longer than SESSION_IDLE_TIMEOUT.
    Token requests have no session to time out."""
    if getattr(request, "bearer_invalid", None) is not None or not request.user.is_authenticated:
        return False
    now = time.time()
    last_seen = await request.session.aget(LAST_SEEN_KEY)
    if last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT:
        await request.session.aflush()
        request.user = AnonymousUser()
        return True
    if last_seen is None or now - last_seen > LAST_SEEN_RESOLUTION_SECONDS:
        await request.session.aset(LAST_SEEN_KEY, now)
    return False
