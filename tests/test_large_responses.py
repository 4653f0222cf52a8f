import json
import threading
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from medallion import http

pytestmark = pytest.mark.pure


async def test_large_results_are_encoded_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    encoded_on: list[threading.Thread] = []
    encode = http.json_response

    def recording(data: Any, *args: Any, **kwargs: Any) -> Any:
        encoded_on.append(threading.current_thread())
        return encode(data, *args, **kwargs)

    monkeypatch.setattr(http, "json_response", recording)
    rows = [{"N": n, "AMOUNT": Decimal("1.50"), "AT": datetime(2026, 1, 1)} for n in range(http.LARGE_RESPONSE_ITEMS)]
    large = await http.encoded_off_the_loop({"rows": rows, "total": len(rows)})
    small = await http.encoded_off_the_loop(rows[:3])
    assert encoded_on[0] is not threading.current_thread()
    assert encoded_on[1] is threading.current_thread()
    assert json.loads(large.content)["rows"][-1] == {"N": len(rows) - 1, "AMOUNT": 1.5, "AT": "2026-01-01T00:00:00Z"}
    assert large["Content-Type"] == small["Content-Type"] == "application/json; charset=utf-8"
