"""Keyset pages (medallion.keyset) on both backends: every row exactly once, jumps, odd offsets, both directions."""

import uuid
from collections.abc import AsyncIterator

import pytest

from medallion import keyset
from medallion.keyset import Keyed
from medallion.warehouse import warehouse

ROWS = 237


@pytest.fixture
async def numbers(warehouse_backend: str) -> AsyncIterator[str]:
    """ROWS rows with gaps in their keys (ID = 3 * n + 1), every third one in group B."""
    table = f"SILVER.KEYSET_{uuid.uuid4().hex[:10].upper()}"
    wh = warehouse()
    await wh.execute(f"CREATE TABLE {table} (ID INTEGER, GRP VARCHAR)")
    await wh.execute_many(
        f"INSERT INTO {table} (ID, GRP) VALUES (?, ?)", [(3 * n + 1, "B" if n % 3 == 0 else "A") for n in range(ROWS)]
    )
    yield table
    await wh.execute(f"DROP TABLE IF EXISTS {table}")


def listing(table: str, *, descending: bool = True, group: str | None = None) -> Keyed:
    conditions, params = (("GRP = ?",), (group,)) if group else ((), ())
    return Keyed("ID, GRP", table, "ID", conditions, params, descending)


def expected(*, descending: bool = True, group: str | None = None) -> list[int]:
    ids = [3 * n + 1 for n in range(ROWS) if group is None or ("B" if n % 3 == 0 else "A") == group]
    return sorted(ids, reverse=descending)


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("size", [50, 100])
async def test_pages_cover_every_row_exactly_once_in_key_order(numbers: str, descending: bool, size: int) -> None:
    listed = listing(numbers, descending=descending)
    index = await keyset.page_index(listed)
    assert index.total == ROWS and len(index.starts) == -(-ROWS // keyset.BLOCK_ROWS)
    seen: list[int] = []
    for offset in range(0, ROWS, size):
        seen += [row["ID"] for row in await keyset.rows_at(listed, index, size, offset)]
    assert seen == expected(descending=descending)
    first = [row["ID"] for row in await keyset.first_rows(listed, size)]
    assert first == expected(descending=descending)[:size]


async def test_jumps_and_odd_windows_match_the_full_listing(numbers: str) -> None:
    listed = listing(numbers, group="A")
    index = await keyset.page_index(listed)
    everything = expected(group="A")
    assert index.total == len(everything) == await keyset.count(listed)
    for limit, offset in ((50, 100), (100, 100), (60, 7), (1, 157), (500, 0), (50, len(everything) - 3)):
        rows = await keyset.rows_at(listed, index, limit, offset)
        assert [row["ID"] for row in rows] == everything[offset : offset + limit], (limit, offset)
    assert await keyset.rows_at(listed, index, 50, len(everything)) == []


async def test_an_empty_listing_has_no_pages(numbers: str) -> None:
    listed = listing(numbers, group="NONE")
    index = await keyset.page_index(listed)
    assert (index.total, index.starts) == (0, [])
    assert await keyset.rows_at(listed, index, 50, 0) == []
