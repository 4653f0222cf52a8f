"""A TPA purge leaves no cached read that still serves the TPA's data."""

import pytest
from django.core.cache import cache

from bronze import queue, raw
from medallion import caching
from silver import mappings, quality, rules, tables
from silver.transform import transform
from tests.test_bronze_support import upload
from tests.test_silver_transform_support import build_table, record
from tpa.services import delete_tpa, list_tpas

pytestmark = pytest.mark.django_db(transaction=True)


async def test_every_cached_read_forgets_a_deleted_tpa(admin_client, tpa):
    fixture = await build_table(tpa)
    await fixture.load(record("C1"), record("C2", paid="oops"))
    rule = {"tpa": tpa, "table_name": fixture.schema_table, "rule_name": "SMALL", "rule_type": "RANGE"}
    rule |= {"target_column": "PAID_AMOUNT", "parameters": {"max": 100}, "action": "FLAG"}
    assert (await admin_client.post("/api/silver/rules", rule, content_type="application/json")).status_code == 201
    await transform(tpa, fixture.schema_table, user="tests")
    assert (await upload(admin_client, tpa, "queued.csv", b"a\n1\n")).status_code == 201

    # Every cached read that shows the TPA's data, warmed while the TPA exists.
    reads = {
        "tpas": lambda: list_tpas(),
        "bronze_queue": lambda: queue.list_queue(tpa),
        "bronze_raw": lambda: raw.raw_records(tpa),
        "silver_mappings": lambda: mappings.list_mappings(tpa),
        "silver_tables": lambda: tables.list_tables(tpa),
        "silver_rules": lambda: rules.list_rules(None, None),
        "silver_quality": lambda: quality.summary(None),
    }
    warmed = {name: await read() for name, read in reads.items()}
    assert all(tpa in repr(value) for value in warmed.values()), {n: v for n, v in warmed.items() if tpa not in repr(v)}
    generations = {name: cache.get(caching._generation_key(name)) for name in caching.namespaces}

    await delete_tpa(tpa, user="tests")

    stale = [name for name in caching.namespaces if cache.get(caching._generation_key(name)) == generations[name]]
    assert stale == [], f"namespaces still serving values from before the purge: {stale}"
    for name, read in reads.items():
        assert tpa not in repr(await read()), f"{name} still serves {tpa} after its deletion"
