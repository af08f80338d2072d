"""Redaction spans reach text at any depth (a chat transcript's entries) and
never change the stored data they are applied to."""

from __future__ import annotations

import pytest

from app.review.redaction import (
    MARKER,
    RedactionError,
    apply_redactions,
    leaves,
    normalise_spans,
    text_at,
    text_fields,
)

TICKET = {
    "subject": "Login trouble",
    "entries": [
        {"author_name": "Agent", "body": "Hello, I can see Jordan Smith is also on this account."},
        {"author_name": "Parent", "body": "Thanks"},
    ],
    "count": 2,
}


def test_paths_name_nested_text_and_skip_other_values():
    paths = dict(text_fields(TICKET))
    assert paths["entries.0.body"].startswith("Hello") and paths["subject"] == "Login trouble"
    assert ("count", 2) in list(leaves(TICKET))
    assert text_at(TICKET, "entries.1.body") == "Thanks"
    for missing in ("entries.5.body", "entries.x.body", "count", "entries", "", "subject.0"):
        assert text_at(TICKET, missing) is None


def test_nested_span_is_redacted_in_a_copy():
    start = TICKET["entries"][0]["body"].index("Jordan Smith")
    spans = normalise_spans(TICKET, [{"field": "entries.0.body", "start": start, "end": start + 12}])
    redacted = apply_redactions(TICKET, spans)
    assert "Jordan" not in redacted["entries"][0]["body"] and MARKER in redacted["entries"][0]["body"]
    assert "Jordan Smith" in TICKET["entries"][0]["body"]  # the original is untouched
    assert redacted["entries"][1] == TICKET["entries"][1]


@pytest.mark.parametrize(
    "span",
    [
        {"field": "entries.9.body", "start": 0, "end": 1},
        {"field": "count", "start": 0, "end": 1},
        {"field": "entries.1.body", "start": 0, "end": 99},
        {"field": "entries.1.body", "start": True, "end": 2},
        {"field": None, "start": 0, "end": 1},
    ],
)
def test_spans_that_do_not_fit_are_refused(span):
    with pytest.raises(RedactionError):
        normalise_spans(TICKET, [span])


def test_overlapping_spans_merge_into_one_marker():
    spans = normalise_spans(
        TICKET, [{"field": "subject", "start": 0, "end": 3}, {"field": "subject", "start": 2, "end": 5}]
    )
    assert spans == [{"field": "subject", "start": 0, "end": 5}]
    assert apply_redactions(TICKET, spans)["subject"] == MARKER + " trouble"
