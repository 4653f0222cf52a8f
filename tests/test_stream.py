"""Server-Sent Events: the services publish where they write a status; /api/events streams them with
heartbeats, Last-Event-ID replay, a bound per user, and bounded buffers so a slow client never holds anyone up."""

import asyncio
import gc
from typing import Any

import pytest
from django.test import override_settings

from medallion import stream
from tests.test_bronze_support import upload, upload_and_process

pytestmark = pytest.mark.django_db(transaction=True)

CSV = b"claim_id,member_id\nC1,M1\nC2,M2\n"
REDIS = "redis://127.0.0.1:6379/1"


async def _next_event(chunks: Any, topic: str, timeout: float = 10.0) -> str:
    async def find() -> str:
        async for chunk in chunks:
            text = chunk.decode() if isinstance(chunk, bytes) else chunk
            if f"event: {topic}\n" in text:
                return text
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(find(), timeout)


async def test_a_subscriber_gets_its_topics_only_and_a_slow_one_loses_its_oldest_events() -> None:
    subscriber = stream.bus.open_stream("slow-reader", frozenset({"queue"}))
    assert subscriber is not None
    try:
        for number in range(stream.SUBSCRIBER_BUFFER + 50):
            stream.publish("queue", number=number)
        stream.publish("task", task="ignored")

        assert subscriber.queue.qsize() == stream.SUBSCRIBER_BUFFER and subscriber.dropped == 50
        assert subscriber.queue.get_nowait().data["number"] == 50
    finally:
        stream.bus.close_stream("slow-reader", subscriber)


@override_settings(EVENT_STREAMS_PER_USER=2)
async def test_streams_per_user_are_bounded_and_freed_on_close() -> None:
    already_open = stream.bus.open_streams  # streams other tests of this process still hold
    first = stream.bus.open_stream("busy-user", frozenset(stream.TOPICS))
    second = stream.bus.open_stream("busy-user", frozenset(stream.TOPICS))
    refused = stream.bus.open_stream("busy-user", frozenset(stream.TOPICS))
    assert first and second and refused is None
    stream.bus.close_stream("busy-user", first)
    stream.bus.close_stream("busy-user", first)
    again = stream.bus.open_stream("busy-user", frozenset(stream.TOPICS))
    assert again is not None
    for subscriber in (second, again):
        stream.bus.close_stream("busy-user", subscriber)
    assert stream.bus.open_streams == already_open


async def test_the_endpoint_streams_queue_events_from_an_upload(viewer_client: Any, operator_client: Any, tpa: str):
    already_open = stream.bus.open_streams
    response = await viewer_client.get("/api/events?topics=queue")
    chunks = aiter(response.streaming_content)
    try:
        assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
        assert (await anext(chunks)).startswith(b"retry: ")
        await upload(operator_client, tpa, "streamed.csv", CSV)
        event = await _next_event(chunks, "queue")
        assert f'"file_name": "{tpa}/streamed.csv"' in event and '"status": "PENDING"' in event
    finally:
        await chunks.aclose()
    del chunks, response  # a client that goes away: the stream's generator is finalised and frees its slot
    gc.collect()
    await asyncio.sleep(0.05)
    assert stream.bus.open_streams == already_open


async def test_reconnect_with_last_event_id_replays_what_was_missed(viewer_client: Any) -> None:
    stream.publish("task", task="before")
    seen = stream.bus.since(0, frozenset({"task"}))[-1].id
    stream.publish("task", task="missed")

    response = await viewer_client.get("/api/events?topics=task", headers={"Last-Event-ID": str(seen)})
    chunks = aiter(response.streaming_content)
    try:
        replayed = await _next_event(chunks, "task")
    finally:
        await chunks.aclose()
    assert '"task": "missed"' in replayed and f"id: {seen + 1}" in replayed


@override_settings(EVENT_STREAM_HEARTBEAT_SECONDS=0.05)
async def test_an_idle_stream_sends_heartbeats(viewer_client: Any) -> None:
    response = await viewer_client.get("/api/events?topics=refresh")
    chunks = aiter(response.streaming_content)
    try:
        await anext(chunks)
        assert await asyncio.wait_for(anext(chunks), 5) == b": heartbeat\n\n"
    finally:
        await chunks.aclose()


@override_settings(EVENT_STREAMS_PER_USER=1)
async def test_too_many_streams_and_unknown_topics_are_refused(viewer_client: Any, anonymous_client: Any) -> None:
    held = await viewer_client.get("/api/events")
    try:
        refused = await viewer_client.get("/api/events")
        assert refused.status_code == 429 and refused.json()["code"] == "too_many_streams"
    finally:
        await aiter(held.streaming_content).aclose()
        held.close()
    assert (await viewer_client.get("/api/events?topics=nope")).status_code == 422
    assert (await anonymous_client.get("/api/events")).status_code == 401


async def test_processing_a_file_publishes_each_status_and_the_load(operator_client: Any, tpa: str) -> None:
    subscriber = stream.bus.open_stream("watcher", frozenset({"queue", "load"}))
    assert subscriber is not None
    try:
        await upload_and_process(operator_client, tpa, "watched.csv", CSV)
        seen = []
        while not subscriber.queue.empty():
            event = subscriber.queue.get_nowait()
            if event.data.get("file_name") == f"{tpa}/watched.csv":
                seen.append(
                    (event.topic, event.data.get("status") or event.data["phase"], event.data.get("rows_loaded"))
                )
    finally:
        stream.bus.close_stream("watcher", subscriber)
    assert seen == [("queue", "PENDING", None), ("queue", "PROCESSING", None), ("load", "LOADING", None),
                    ("load", "LOADED", None), ("queue", "SUCCESS", 2)]  # fmt: skip


@pytest.mark.usefixtures("require_redis")
async def _relay_subscribed() -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    for _ in range(400):
        if dict(client.pubsub_numsub(stream.REDIS_CHANNEL)).get(stream.REDIS_CHANNEL.encode()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the relay never subscribed to the Redis channel")


async def test_with_a_redis_cache_events_cross_processes_through_pub_sub() -> None:
    redis_cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS}}
    with override_settings(CACHES=redis_cache):
        subscriber = stream.bus.open_stream("redis-reader", frozenset({"task"}))
        assert subscriber is not None
        try:
            stream.bus.ensure_relay()
            await _relay_subscribed()
            stream.publish("task", task="through-redis")
            event = await asyncio.wait_for(subscriber.queue.get(), 10)
        finally:
            stream.bus.close_stream("redis-reader", subscriber)
            if stream.bus._relay is not None:
                stream.bus._relay.cancel()
    assert event.data == {"task": "through-redis"}
