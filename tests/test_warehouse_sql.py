"""The SQL fragment type and the door's one-row insert, on both backends (embedded DuckDB and Snowflake through
the real connector on the emulator)."""

import dataclasses
import json

import pytest

from medallion.warehouse import warehouse
from medallion.warehouse.sql import Sql, in_, join, where

PROBE = "OPS.INSERT_PROBE"


def test_fragments_compose_text_and_parameters_in_order() -> None:
    query = "SELECT 1 FROM T " + where([Sql("A = ?", [1]), Sql(), in_("B", ["x", "y"])]) + Sql(" AND C = ?", (2,))

    assert query == Sql("SELECT 1 FROM T WHERE A = ? AND B IN (?, ?) AND C = ?", (1, "x", "y", 2))
    assert join(", ", ["X", Sql("?", (3,)), Sql("?", (4,))]) == Sql("X, ?, ?", (3, 4))
    assert where([Sql(), ""]) == Sql()
    assert in_("B", []) == Sql("1 = 0")
    with pytest.raises(dataclasses.FrozenInstanceError):
        query.text = "DROP TABLE T"  # type: ignore[misc]


async def test_the_door_runs_a_fragment(warehouse_backend: str) -> None:
    values = "SELECT V FROM (SELECT 1 AS V UNION ALL SELECT 2 AS V UNION ALL SELECT 3 AS V) AS t "

    rows = await warehouse().fetch_all(values + where([in_("V", [1, 3])]) + " ORDER BY V")

    assert [row["V"] for row in rows] == [1, 3]
    with pytest.raises(TypeError):
        await warehouse().fetch_all(Sql("SELECT ? AS V", (1,)), (1,))


async def test_insert_returns_the_identity_id_of_the_new_row(warehouse_backend: str) -> None:
    wh = warehouse()
    await wh.execute(
        f"CREATE TABLE IF NOT EXISTS {PROBE} (PROBE_ID INTEGER IDENTITY(1, 1), NAME VARCHAR, N INTEGER, DOC VARIANT)"
    )
    try:
        document = Sql("PARSE_JSON(?)", (json.dumps({"k": 1}),))
        first = await wh.insert(PROBE, {"NAME": "same", "N": 1, "DOC": document}, id_column="PROBE_ID")
        second = await wh.insert(PROBE, {"NAME": "same", "N": None, "DOC": None}, id_column="PROBE_ID")
        async with wh.transaction() as tx:
            third = await tx.insert(PROBE, {"NAME": "same", "N": 1}, id_column="PROBE_ID")

        rows = await wh.fetch_all(f"SELECT PROBE_ID, N, DOC FROM {PROBE} ORDER BY PROBE_ID")

        assert len({first, second, third}) == 3
        by_id = {int(row["PROBE_ID"]): row for row in rows}
        assert (by_id[first]["N"], by_id[second]["N"], by_id[third]["N"]) == (1, None, 1)
        document_read = by_id[first]["DOC"]
        assert (json.loads(document_read) if isinstance(document_read, str) else document_read) == {"k": 1}
        assert by_id[third]["DOC"] is None
    finally:
        await wh.execute(f"DROP TABLE IF EXISTS {PROBE}")
