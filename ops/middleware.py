import time

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from medallion.middleware import AsyncMiddleware
from ops.metrics import requests

UNMATCHED_ROUTE = "<unmatched>"


class RouteMetricsMiddleware(AsyncMiddleware):
    """Request counts and latency per URL route (the pattern, never the raw path, so label sets stay small)."""

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = await self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None else UNMATCHED_ROUTE
        requests.observe(
            request.method or "", route or UNMATCHED_ROUTE, response.status_code, time.perf_counter() - started
        )
        return response
