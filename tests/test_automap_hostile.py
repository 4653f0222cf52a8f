"""Red-team finding 1: hostile Bronze cells must not stall the event loop while auto-mapping runs."""

import asyncio
import threading
import time

import pytest

from silver import automap, match_values, matcher
from tests.test_silver_tables import load_bronze

pytestmark = pytest.mark.django_db(transaction=True)

# One cell like this made the old timestamp pattern backtrack quadratically (7-10 s on the event loop).
HOSTILE_TIMESTAMP = "2020-01-01 1:00" + " " * 16000 + "!"
HOSTILE_HEADER = "a" * 16000
# Before the fix the loop stalled for seconds; a healthy loop on a loaded two-core box stays far below this.
MAX_LOOP_STALL_SECONDS = 1.5


def test_hostile_values_and_headers_are_classified_within_the_caps():
    assert match_values.classify_value(HOSTILE_TIMESTAMP) == frozenset({"text"})
    shorter = "2020-01-01 1:00" + " " * 100 + "!"
    assert "timestamp" not in match_values.classify_value(shorter)
    assert "timestamp" in match_values.classify_value("2024-03-01 10:00:00 AM")
    assert "timestamp" in match_values.classify_value("2024-03-01T10:00:00.123+05:00")
    assert "phone" in match_values.classify_value("(555) 123-4567 ext. 12")
    suggestions = matcher.suggest_mappings(
        {HOSTILE_HEADER: [HOSTILE_TIMESTAMP] * 3, "Date of Service": ["2024-03-01"]},
        [matcher.TargetColumn("SERVICE_DATE", "DATE")],
        min_confidence=0.5,
    )
    assert [suggestion.source_field for suggestion in suggestions] == ["Date of Service"]


async def _largest_loop_stall(work: asyncio.Task) -> float:
    largest = 0.0
    while not work.done():
        before = time.perf_counter()
        await asyncio.sleep(0.01)
        largest = max(largest, time.perf_counter() - before - 0.01)
    return largest


async def test_health_answers_while_a_hostile_auto_map_runs(operator_client, anonymous_client, tpa, monkeypatch):
    records = [
        {"Service Date": HOSTILE_TIMESTAMP, HOSTILE_HEADER: HOSTILE_TIMESTAMP, "Claim Number": f"C{n}"}
        for n in range(20)
    ]
    await load_bronze(tpa, records)
    matcher_threads: list[threading.Thread] = []
    real_suggest = automap.suggest_mappings

    def recording_suggest(*args, **kwargs):
        matcher_threads.append(threading.current_thread())
        return real_suggest(*args, **kwargs)

    monkeypatch.setattr(automap, "suggest_mappings", recording_suggest)
    body = {"source_table": "RAW_DATA_TABLE", "target_table": "MEDICAL_CLAIMS", "tpa": tpa, "min_confidence": 0}
    auto_map = asyncio.create_task(
        operator_client.post("/api/silver/mappings/auto-ml", body, content_type="application/json")
    )
    stall = asyncio.create_task(_largest_loop_stall(auto_map))
    health = await anonymous_client.get("/api/health")
    assert health.status_code in (200, 503)
    assert (await auto_map).status_code == 200
    assert await stall < MAX_LOOP_STALL_SECONDS
    assert matcher_threads and threading.main_thread() not in matcher_threads
