"""Red-team finding 4: TPA spellings share one cache entry, so case variants cannot multiply expensive work."""

import asyncio

import pytest

from medallion import caching
from tests.test_silver_tables import load_bronze

pytestmark = pytest.mark.django_db(transaction=True)


async def test_source_fields_case_variants_compute_once(viewer_client, tpa):
    await load_bronze(tpa, [{"Claim Number": "C1", "Paid": "1"}, {"Claim Number": "C2", "Paid": "2"}])
    before = sum(count for key, count in caching.query_counter.items() if key.split(":")[3].endswith(".source_fields"))
    variants = [tpa, tpa.lower(), tpa.title(), f" {tpa}", f"{tpa.lower()} ", tpa.swapcase()]
    responses = await asyncio.gather(
        *(viewer_client.get("/api/bronze/source-fields", {"tpa": variant}) for variant in variants)
    )
    assert [response.status_code for response in responses] == [200] * len(variants)
    assert {tuple(response.json()) for response in responses} == {("Claim Number", "Paid")}
    after = sum(count for key, count in caching.query_counter.items() if key.split(":")[3].endswith(".source_fields"))
    assert after - before == 1


def test_keys_ignore_spelling_of_the_same_call():
    def listing(tpa: str | None = None, limit: int = 10) -> None: ...

    def key(*args, **kwargs) -> str:
        import inspect

        return caching._value_key("ns", "f", *caching._canonical_arguments(inspect.signature(listing), args, kwargs))

    assert key("acme") == key(tpa=" ACME ") == key("Acme", 10) == key(tpa="acme", limit=10)
    assert key("acme") != key("acme", 20) != key(None)
