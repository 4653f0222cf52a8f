"""The ASGI application reuses the threads Django's per-request thread-sensitive contexts run on."""

import asyncio
import threading
from typing import Any

import pytest
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals

from medallion import asgi
from medallion.asgi import MedallionASGIHandler, RequestThread, ReusableExecutors, application
from medallion.models import ApiToken

CONCURRENT = 6
ROUNDS = 5


async def _get(path: str, headers: list[tuple[bytes, bytes]], app: MedallionASGIHandler = application) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    received = asyncio.Event()
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if not received.is_set():
            received.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    return messages[0]["status"]


async def _burst(headers: list[tuple[bytes, bytes]]) -> list[int]:
    paths = ["/api/health", "/api/tpas", "/api/logs/stats"]
    return list(await asyncio.gather(*(_get(paths[i % len(paths)], headers) for i in range(CONCURRENT))))


async def test_requests_create_no_threads_once_warm(admin_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _token, raw = await sync_to_async(ApiToken.issue)(admin_client.user)
    headers = [(b"authorization", f"Bearer {raw}".encode())]
    assert 200 in await _burst(headers)
    started: list[str] = []
    start = threading.Thread.start

    def counting_start(thread: threading.Thread) -> None:
        started.append(thread.name)
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    for _round in range(ROUNDS):
        assert 200 in await _burst(headers)
    assert started == []
    assert application.executors.idle >= 1


def _counting_submits(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    submitted: list[Any] = []
    submit = RequestThread.submit

    def counting_submit(executor: RequestThread, *args: Any, **kwargs: Any) -> Any:
        submitted.append(args[0])
        return submit(executor, *args, **kwargs)

    monkeypatch.setattr(RequestThread, "submit", counting_submit)
    return submitted


@pytest.mark.pure
async def test_a_request_without_database_work_never_waits_for_its_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    handler = MedallionASGIHandler()
    submitted = _counting_submits(monkeypatch)
    assert await _get("/api/health", [], handler) == 200
    assert await _get("/api/health", [], handler) == 200
    assert submitted == []


@pytest.mark.pure
async def test_request_signal_receivers_run_on_the_request_thread_when_they_need_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    thread = RequestThread()
    ran_on: list[int] = []

    def receiver(**_kwargs: Any) -> None:
        ran_on.append(threading.get_ident())

    async with ThreadSensitiveContext(executor=thread):
        await sync_to_async(lambda: None)()
        submitted = _counting_submits(monkeypatch)
        await asgi.send_request_signal(signals.request_finished, MedallionASGIHandler, thread)
        assert submitted == []
        asgi._threads_with_open_connections.add(thread.ident)
        await asgi.send_request_signal(signals.request_finished, MedallionASGIHandler, thread)
        assert len(submitted) == 1 and thread.ident not in asgi._threads_with_open_connections
        signals.request_finished.connect(receiver)
        try:
            await asgi.send_request_signal(signals.request_finished, MedallionASGIHandler, thread)
        finally:
            signals.request_finished.disconnect(receiver)
    assert ran_on == [thread.ident]
    thread.shutdown()


@pytest.mark.pure
def test_an_executor_serves_one_request_at_a_time_and_is_reused() -> None:
    executors = ReusableExecutors()
    first, second = executors.take(), executors.take()
    assert first is not second
    executors.give_back(first)
    assert executors.take() is first
    busy = threading.Event()
    first.submit(busy.wait)
    executors.give_back_when_idle(first)
    assert executors.idle == 0
    busy.set()
    first.submit(lambda: None).result()
    assert executors.idle == 1
    for executor in (first, second):
        executor.shutdown()
