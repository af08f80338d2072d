import pytest
from marshmallow import ValidationError

from app.api.errors import flatten_messages
from app.api.openapi import openapi_path
from app.api.schemas import PageQuerySchema, TokenCreateSchema


@pytest.mark.parametrize("value", ["1_000", " 1", "1\n", "\uff11", "1.0", "", "0x10", "1e3", "9" * 13])
def test_query_integer_refuses_anything_but_ascii_digits(value):
    with pytest.raises(ValidationError) as caught:
        PageQuerySchema().load({"page": value})
    assert "page" in caught.value.messages


def test_page_query_defaults():
    assert PageQuerySchema().load({}) == {"page": 1, "per_page": 20}


def test_page_query_range_message_names_the_limits():
    with pytest.raises(ValidationError) as caught:
        PageQuerySchema().load({"per_page": "101"})
    assert caught.value.messages == {"per_page": ["Must be between 1 and 100."]}


def test_page_query_refuses_unknown_parameter():
    with pytest.raises(ValidationError) as caught:
        PageQuerySchema().load({"sort": "name"})
    assert caught.value.messages == {"sort": ["Unknown field."]}


def test_token_create_takes_integral_number_as_json_schema_does():
    assert TokenCreateSchema().load({"name": "x", "expires_in_days": 30.0})["expires_in_days"] == 30


def test_token_create_strips_name_and_defaults_lifetime():
    assert TokenCreateSchema().load({"name": "  reports  "}) == {"name": "reports", "expires_in_days": 90}


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "expires_in_days": "5"},
        {"name": "x", "expires_in_days": 5.5},
        {"name": "x", "expires_in_days": True},
        {"name": "x", "expires_in_days": float("inf")},
        {"name": "x", "expires_in_days": float("nan")},
        {"name": "x", "expires_in_days": 1e300},
        {"name": 5},
        {"name": None},
        {"name": "tab\there"},
        {"name": "nul\x00"},
        {"name": "   "},
        {"name": "x", "owner": "someone"},
        {},
    ],
)
def test_token_create_refuses_wrong_types_and_values(body):
    with pytest.raises(ValidationError):
        TokenCreateSchema().load(body)


def test_flatten_messages_gives_one_level_of_field_names():
    nested = {"a": ["bad"], "b": {"c": ["worse"], "0": {"d": ["worst"]}}, "_schema": ["whole"]}
    assert flatten_messages(nested) == {
        "a": ["bad"],
        "b.c": ["worse"],
        "b.0.d": ["worst"],
        "_schema": ["whole"],
    }


def test_openapi_path_converts_flask_rules():
    assert openapi_path("/tokens/<uuid:token_id>") == "/tokens/{token_id}"
    assert openapi_path("/a/<name>/<int(min=1):n>") == "/a/{name}/{n}"
