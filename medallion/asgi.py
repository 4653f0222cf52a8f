import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import django
from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medallion.settings")


class ReusableExecutors:
    """Single-thread executors lent to one request at a time and kept between requests.

    Django gives every request a thread of its own for its thread-sensitive sync code (sessions, the ORM);
    asgiref would create and join that thread per request. Here the threads outlive the requests, like a
    WSGI server's thread pool: as many as requests ever ran at once, each still serving one request at a time.
    """

    def __init__(self) -> None:
        self._idle: list[ThreadPoolExecutor] = []

    def take(self) -> ThreadPoolExecutor:
        try:
            return self._idle.pop()
        except IndexError:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")

    def give_back(self, executor: ThreadPoolExecutor) -> None:
        self._idle.append(executor)

    def give_back_when_idle(self, executor: ThreadPoolExecutor) -> None:
        """A cancelled request's sync call may still be running: the next request must not wait behind it."""
        executor.submit(lambda: None).add_done_callback(lambda _done: self._idle.append(executor))

    @property
    def idle(self) -> int:
        return len(self._idle)


class MedallionASGIHandler(ASGIHandler):
    """Django's ASGI handler whose per-request thread-sensitive context runs on a reused thread.

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
                await super().__call__(scope, receive, send)
        except BaseException:
            self.executors.give_back_when_idle(executor)
            raise
        self.executors.give_back(executor)


def get_application() -> MedallionASGIHandler:
    django.setup(set_prefix=False)
    return MedallionASGIHandler()


application = get_application()
