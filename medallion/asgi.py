import asyncio
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.cache import close_caches
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import reset_urlconf
from django.db import close_old_connections, connections, reset_queries
from django.db.backends.signals import connection_created
from django.dispatch import Signal
from django.http import HttpResponseBase
from django.urls import set_script_prefix

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medallion.settings")

# Receivers of Django's request signals that touch only the calling context, never the database or a file.
LOOP_SAFE_RECEIVERS = frozenset({reset_urlconf, close_caches})
# Receivers that look after the request thread's database connections: needed there only once it opened one.
DATABASE_RECEIVERS = frozenset({reset_queries, close_old_connections})

_threads_with_open_connections: set[int] = set()


def _note_open_connection(**_kwargs: Any) -> None:
    _threads_with_open_connections.add(threading.get_ident())


connection_created.connect(_note_open_connection, dispatch_uid="medallion-open-connections")


class RequestThread(ThreadPoolExecutor):
    """One worker thread that runs a request's thread-sensitive sync code (sessions, the ORM)."""

    def __init__(self) -> None:
        self.ident: int | None = None
        super().__init__(max_workers=1, thread_name_prefix="request", initializer=self._record_ident)
        # The thread starts now, while the pool grows with the peak concurrency, not in some later request
        # that first needs it (most requests never do).
        ThreadPoolExecutor.submit(self, lambda: None)

    def _record_ident(self) -> None:
        self.ident = threading.get_ident()

    @property
    def holds_database_connections(self) -> bool:
        return self.ident in _threads_with_open_connections


def _forget_closed_connections() -> None:
    if all(connection.connection is None for connection in connections.all(initialized_only=True)):
        _threads_with_open_connections.discard(threading.get_ident())


class ReusableExecutors:
    """Single-thread executors lent to one request at a time and kept between requests.

    Django gives every request a thread of its own for its thread-sensitive sync code (sessions, the ORM);
    asgiref would create and join that thread per request. Here the threads outlive the requests, like a
    WSGI server's thread pool: as many as requests ever ran at once, each still serving one request at a time.
    """

    def __init__(self) -> None:
        self._idle: list[RequestThread] = []

    def take(self) -> RequestThread:
        try:
            return self._idle.pop()
        except IndexError:
            return RequestThread()

    def give_back(self, executor: RequestThread) -> None:
        self._idle.append(executor)

    def give_back_when_idle(self, executor: RequestThread) -> None:
        """A cancelled request's sync call may still be running: the next request must not wait behind it."""
        executor.submit(lambda: None).add_done_callback(lambda _done: self._idle.append(executor))

    @property
    def idle(self) -> int:
        return len(self._idle)


async def send_request_signal(signal: Signal, sender: type, thread: RequestThread, **named: Any) -> None:
    """`signal.asend()` without a hop to the request thread when no receiver needs it.

    Django's own receivers either touch only the calling context or look after the request thread's database
    connections, which matters only once that thread opened one (or, with DEBUG, logged queries). Any other sync
    receiver still runs on the request thread.
    """
    sync_receivers, async_receivers = signal._live_receivers(sender)
    needs_database = settings.DEBUG or thread.holds_database_connections
    on_thread = [
        receiver
        for receiver in sync_receivers
        if receiver not in LOOP_SAFE_RECEIVERS and (needs_database or receiver not in DATABASE_RECEIVERS)
    ]
    for receiver in sync_receivers:
        if receiver in LOOP_SAFE_RECEIVERS:
            receiver(signal=signal, sender=sender, **named)
    if on_thread:
        await sync_to_async(_call_on_request_thread)(on_thread, signal, sender, named)
    await asyncio.gather(*(receiver(signal=signal, sender=sender, **named) for receiver in async_receivers))


def _call_on_request_thread(receivers: list[Any], signal: Signal, sender: type, named: dict[str, Any]) -> None:
    for receiver in receivers:
        receiver(signal=signal, sender=sender, **named)
    _forget_closed_connections()


class MedallionASGIHandler(ASGIHandler):
    """Django's ASGI handler whose per-request thread-sensitive context runs on a reused thread, and which
    sends the request signals and closes plain responses without a hop to that thread when none is needed.

    A task a request starts must not call thread-sensitive sync code (the ORM, sessions) after the request
    has ended: asgiref raises RuntimeError rather than run it on another request's thread. Background work
    (log buffers, Bronze processing, task runs) talks only to the warehouse, through its own executor.
    """

    def __init__(self) -> None:
        super().__init__()
        self.executors = ReusableExecutors()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        executor = self.executors.take()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle_on(executor, scope, receive, send)
        except BaseException:
            self.executors.give_back_when_idle(executor)
            raise
        self.executors.give_back(executor)

    async def handle_on(self, thread: RequestThread, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """`ASGIHandler.handle()` with the request signals sent by `send_request_signal`."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        await send_request_signal(signals.request_started, self.__class__, thread, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
            await self.send_response(error_response, send)
            await self.close_response(error_response, thread)
            return
        disconnect = asyncio.create_task(self.listen_for_disconnect(receive))
        respond = asyncio.create_task(self.respond(request, send))
        await asyncio.wait([disconnect, respond], return_when=asyncio.FIRST_COMPLETED)
        for task in (disconnect, respond):
            await self.settle(task, body_file)
        try:
            response = respond.result()
        except asyncio.CancelledError:
            await send_request_signal(signals.request_finished, self.__class__, thread)
        else:
            await self.close_response(response, thread)
        body_file.close()

    async def respond(self, request: Any, send: Any) -> HttpResponseBase:
        response = await self.run_get_response(request)
        try:
            await self.send_response(response, send)
        except asyncio.CancelledError:
            pass  # the client disconnected while the response was being sent
        return response

    @staticmethod
    async def settle(task: asyncio.Task[Any], body_file: Any) -> None:
        """Django's handling of the two tasks: the finished one's errors, the unfinished one cancelled."""
        if not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            return
        try:
            task.result()
        except RequestAborted:
            pass
        except AssertionError:
            body_file.close()
            raise

    async def close_response(self, response: HttpResponseBase, thread: RequestThread) -> None:
        """`response.close()`. A streaming response's iterator is closed on the request thread (its cleanup may
        be sync code of any kind); a plain response holds only the request's body and uploaded files."""
        if response.streaming:
            await sync_to_async(response.close)()
            return
        for closer in response._resource_closers:
            with contextlib.suppress(Exception):
                closer()
        response._resource_closers.clear()
        response.closed = True
        await send_request_signal(signals.request_finished, response._handler_class, thread)


def get_application() -> MedallionASGIHandler:
    django.setup(set_prefix=False)
    return MedallionASGIHandler()


application = get_application()
