"""The file layouts page: a TPA's fixed-width and control-record layouts listed, added, changed field by field
and deleted by plain form posts, refused with the API's own checks shown on the input they concern."""

from typing import Any

import pytest
from django.urls import reverse

from bronze.layouts import list_layouts

pytestmark = pytest.mark.django_db(transaction=True)

FIXED = {
    "action": "save", "layout_name": "fixed claims", "file_pattern": "*.dat", "format": "FIXED_WIDTH",
    "fields_text": "claim_id, 1, 6\npaid, 7, 8\n", "control_field": "claim_id", "control_value": "TRAILR",
    "count_field": "paid", "paid_field": "",
}  # fmt: skip


async def post(client: Any, tpa: str, **data: str) -> Any:
    return await client.post(f"{reverse('bronze-layouts')}?tpa={tpa}", data)


async def test_layouts_are_added_changed_field_by_field_and_deleted(operator_client: Any, viewer_client: Any, tpa):
    saved = await post(operator_client, tpa, **FIXED)
    assert saved.status_code == 302
    (layout,) = await list_layouts(tpa)
    assert layout["fields"] == [
        {"name": "claim_id", "start": 1, "length": 6},
        {"name": "paid", "start": 7, "length": 8},
    ]
    assert layout["control"] == {"field": "claim_id", "value": "TRAILR", "count_field": "paid", "paid_field": None}

    assert (await post(operator_client, tpa, action="add_field", layout_name="fixed claims", name="member",
                       start="15", length="9")).status_code == 302  # fmt: skip
    assert (await post(operator_client, tpa, action="delete_field", layout_name="fixed claims",
                       field_name="paid")).status_code == 302  # fmt: skip
    (layout,) = await list_layouts(tpa)
    assert [field["name"] for field in layout["fields"]] == ["claim_id", "member"]

    page = (await viewer_client.get(f"{reverse('bronze-layouts')}?tpa={tpa}")).content.decode()
    assert "fixed claims" in page and "<code>member</code>" in page and "TRAILR" in page
    assert "Save layout" not in page and "Remove" not in page  # a viewer reads only
    assert (await post(viewer_client, tpa, action="delete", layout_name="fixed claims")).status_code == 403

    assert (await post(operator_client, tpa, action="delete", layout_name="fixed claims")).status_code == 302
    assert await list_layouts(tpa) == []


async def test_the_page_refuses_what_the_api_refuses_on_the_input_concerned(operator_client: Any, tpa: str) -> None:
    no_fields = await post(operator_client, tpa, **{**FIXED, "fields_text": ""})
    assert no_fields.status_code == 200
    assert "A fixed-width layout needs at least one field" in no_fields.content.decode()
    api = await operator_client.post(
        "/api/bronze/layouts", {"tpa": tpa, "layout_name": "x", "format": "FIXED_WIDTH", "fields": []},
        content_type="application/json",
    )  # fmt: skip
    assert api.status_code == 422 and api.json()["errors"][0]["message"] in no_fields.content.decode()

    twice = await post(operator_client, tpa, **{**FIXED, "fields_text": "a, 1, 2\na, 3, 4"})
    assert "Field names must be unique." in twice.content.decode()
    garbled = await post(operator_client, tpa, **{**FIXED, "fields_text": "claim_id 1 6"})
    assert "Line 1: write name, start, length" in garbled.content.decode()
    unknown_format = await post(operator_client, tpa, **{**FIXED, "format": "XML"})
    assert "Select a valid choice" in unknown_format.content.decode()
    assert 'value="fixed claims"' in unknown_format.content.decode()  # what was typed stays
    assert await list_layouts(tpa) == []

    await post(operator_client, tpa, **FIXED)
    bad_field = await post(operator_client, tpa, action="add_field", layout_name="fixed claims", name="x", start="0",
                           length="3")  # fmt: skip
    missing = await post(operator_client, tpa, action="delete_field", layout_name="fixed claims", field_name="nope")
    assert bad_field.status_code == missing.status_code == 302
    (layout,) = await list_layouts(tpa)
    assert len(layout["fields"]) == 2
    follow = (await operator_client.get(f"{reverse('bronze-layouts')}?tpa={tpa}")).content.decode()
    assert "start: Ensure this value is greater than or equal to 1." in follow and "has no field nope" in follow
