"""The edge form base: one field definition reads a JSON object and a page's form post alike, and fails in the
contract's error shape."""

import pytest
from django.http import QueryDict

from medallion.errors import ApiError
from medallion.forms import Choice, EdgeForm, Flag, Integer, Text


class Sample(EdgeForm):
    name = Text(max_length=5, required=True)
    count = Integer(minimum=1, maximum=9)
    kind = Choice(("A", "B"))
    enabled = Flag()


def test_json_and_form_post_give_the_same_values():
    from_json = Sample.parse({"name": " ab ", "count": 3, "kind": "a", "enabled": True})
    from_post = Sample.parse(QueryDict("name=+ab+&count=3&kind=a&enabled=on"), posted=True)
    assert from_json == from_post == {"name": "ab", "count": 3, "kind": "A", "enabled": True}


def test_blank_is_absent_and_an_unticked_box_is_false_only_in_a_page_post():
    assert Sample.parse({"name": "x", "count": "", "kind": " "}) == {
        "name": "x", "count": None, "kind": None, "enabled": None
    }  # fmt: skip
    assert Sample.parse(QueryDict("name=x"), posted=True)["enabled"] is False


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({}, "name: This field is required."),
        ({"name": "   "}, "name: This field is required."),
        ({"name": 5}, "name: Must be a string."),
        ({"name": "toolong"}, "name: Must be at most 5 characters."),
        ({"name": "x", "count": True}, "count: Must be an integer."),
        ({"name": "x", "count": 10}, "count: Must be between 1 and 9."),
        ({"name": "x", "kind": "C"}, "kind: Must be one of A, B."),
        ({"name": "x", "enabled": "yes"}, "enabled: Must be true or false."),
    ],
)
def test_errors_take_the_contract_shape(body, detail):
    with pytest.raises(ApiError) as raised:
        Sample.parse(body)
    error = raised.value
    assert (error.status, error.code, error.detail) == (422, "validation_error", detail)
    field, message = detail.split(": ", 1)
    assert error.errors == [{"field": field, "message": message}]


def test_a_partial_update_validates_only_what_it_names():
    assert Sample.parse({"count": 2}, partial=True) == {"count": 2}


def test_the_form_renders_its_constraints():
    html = str(Sample())
    assert 'maxlength="5"' in html and "required" in html and 'min="1"' in html and 'max="9"' in html
