"""Pipeline events pushed to browsers over Server-Sent Events.

Services call `publish(topic, **data)` right after they write a status (queue entries, loads, transform and
refresh phases, task runs, errors). On the embedded default the events stay in this process; with a Redis
cache they go through Redis pub/sub so every web process sees every worker's events. Each subscriber gets a
bounded queue: a slow client loses its oldest events (and is told to reload) instead of holding anyone up.
A ring of recent events serves reconnects that send `Last-Event-ID`.
"""

import asyncio
import contextlib
import itertools
import json
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from medallion.http import encode_value

log = logging.getLogger("medallion.stream")

TOPICS = ("queue", "load", "transform", "refresh", "task", "error")
REDIS_CHANNEL = "medallion:events"
RING_SIZE = 1000
SUBSCRIBER_BUFFER = 200


@dataclass(frozen=True)
class Event:
    id: int
    topic: str
    data: dict[str, Any]
    published_at: float

    def encoded(self) -> str:
        body = json.dumps({**self.data, "published_at": self.published_at}, default=encode_value)
        return f"id: {self.id}\nevent: {self.topic}\ndata: {body}\n\n"


def seen_within(event: Event, allowed: frozenset[str] | None) -> Event | None:
    """What a subscriber limited to the `allowed` TPAs (None: every TPA) may see of an event: all of it for one of
    its TPAs, nothing of another TPA's, and of an event tied to no TPA only its topic, so its live pages still
    re-read (and those reads are scoped) without learning another TPA's file names, errors or counts."""
    tpa = event.data.get("tpa")
    if allowed is None or (isinstance(tpa, str) and tpa.upper() in allowed):
        return event
    if tpa is None:
        return Event(event.id, event.topic, {}, event.published_at)
    return None


class Subscriber:
    def __init__(self, topics: frozenset[str], allowed: frozenset[str] | None = None) -> None:
        self.topics = topics
        self.allowed = allowed
        self.queue: asyncio.Queue[Event] = asyncio.Queue(SUBSCRIBER_BUFFER)
        self.loop = asyncio.get_running_loop()
        self.dropped = 0

    def offer(self, event: Event) -> None:
        """Runs on the subscriber's loop; never waits."""
        seen = seen_within(event, self.allowed) if event.topic in self.topics else None
        if seen is None:
            return
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(seen)


class EventBus:
    """Fan-out to this process's subscribers, plus the ring of recent events for reconnects."""

    def __init__(self) -> None:
        self._ids = itertools.count(time.time_ns() // 1000)
        self._ring: deque[Event] = deque(maxlen=RING_SIZE)
        self._subscribers: set[Subscriber] = set()
        self._streams_per_user: dict[str, int] = {}
        self._lock = threading.Lock()
        self._relay: asyncio.Task[None] | None = None

    def new_event(self, topic: str, data: dict[str, Any]) -> Event:
        return Event(next(self._ids), topic, data, time.time())

    def deliver(self, event: Event) -> None:
        """Thread-safe: record the event and hand it to every subscriber on its own loop."""
        with self._lock:
            self._ring.append(event)
            subscribers = list(self._subscribers)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for subscriber in subscribers:
            if running is subscriber.loop:
                subscriber.offer(event)
            else:
                with contextlib.suppress(RuntimeError):  # the loop closed under us
                    subscriber.loop.call_soon_threadsafe(subscriber.offer, event)

    def since(self, last_id: int, topics: frozenset[str], allowed: frozenset[str] | None = None) -> list[Event]:
        with self._lock:
            missed = [event for event in self._ring if event.id > last_id and event.topic in topics]
        return [seen for event in missed if (seen := seen_within(event, allowed)) is not None]

    def open_stream(
        self, user: str, topics: frozenset[str], allowed: frozenset[str] | None = None
    ) -> Subscriber | None:
        """A new subscriber, or None when the user already holds the most streams allowed."""
        with self._lock:
            if self._streams_per_user.get(user, 0) >= settings.EVENT_STREAMS_PER_USER:
                return None
            self._streams_per_user[user] = self._streams_per_user.get(user, 0) + 1
            subscriber = Subscriber(topics, allowed)
            self._subscribers.add(subscriber)
        return subscriber

    def close_stream(self, user: str, subscriber: Subscriber) -> None:
        """Idempotent: the stream's end and the response's close both call it."""
        with self._lock:
            if subscriber not in self._subscribers:
                return
            self._subscribers.discard(subscriber)
            remaining = self._streams_per_user.get(user, 1) - 1
            if remaining:
                self._streams_per_user[user] = remaining
            else:
                self._streams_per_user.pop(user, None)

    @property
    def open_streams(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def ensure_relay(self) -> None:
        """With a Redis cache, start (once per loop) the task that feeds Redis events to this process."""
        if not _redis_url() or (self._relay is not None and not self._relay.done()):
            return
        self._relay = asyncio.get_running_loop().create_task(self._relay_from_redis())

    async def _relay_from_redis(self) -> None:
        import redis.asyncio as redis

        while True:
            try:
                client = redis.from_url(_redis_url())
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(REDIS_CHANNEL)
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            raw = json.loads(message["data"])
                            self.deliver(Event(raw["id"], raw["topic"], raw["data"], raw["published_at"]))
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis restarts: reconnect, pages keep polling-free until then
                log.warning("event relay from Redis stopped (%s); reconnecting", type(error).__name__)
                await asyncio.sleep(1)


bus = EventBus()
_redis_client: Any = None


def _redis_url() -> str | None:
    location = settings.CACHES["default"].get("LOCATION")
    backend = settings.CACHES["default"].get("BACKEND", "")
    if "redis" not in backend.lower():
        return None
    return location[0] if isinstance(location, list | tuple) else location


def _publish_to_redis(event: Event) -> None:
    global _redis_client
    import redis

    if _redis_client is None:
        _redis_client = redis.Redis.from_url(_redis_url(), socket_timeout=1)
    payload = {"id": event.id, "topic": event.topic, "data": event.data, "published_at": event.published_at}
    _redis_client.publish(REDIS_CHANNEL, json.dumps(payload, default=encode_value))


def publish(topic: str, **data: Any) -> None:
    """Tell every open page that `topic` changed. Never raises and never waits on a client."""
    event = bus.new_event(topic, data)
    if _redis_url() is None:
        bus.deliver(event)
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        _publish_or_deliver(event)
    else:  # the Redis round trip runs beside the loop, not on it
        loop.run_in_executor(None, _publish_or_deliver, event)


def _publish_or_deliver(event: Event) -> None:
    try:
        _publish_to_redis(event)
    except Exception as error:
        log.warning("publishing a %s event to Redis failed (%s); delivering in this process", event.topic, error)
        bus.deliver(event)


async def stream(user: str, subscriber: Subscriber, last_id: int | None) -> AsyncIterator[str]:
    """The text/event-stream body: missed events after `last_id`, then live events and heartbeats."""
    try:
        yield f"retry: {settings.EVENT_STREAM_RETRY_MS}\n\n"
        for event in bus.since(last_id, subscriber.topics, subscriber.allowed) if last_id is not None else ():
            yield event.encoded()
        while True:
            try:
                event = await asyncio.wait_for(subscriber.queue.get(), settings.EVENT_STREAM_HEARTBEAT_SECONDS)
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            if subscriber.dropped:
                subscriber.dropped = 0
                yield "event: lagged\ndata: {}\n\n"
            yield event.encoded()
    finally:
        bus.close_stream(user, subscriber)
