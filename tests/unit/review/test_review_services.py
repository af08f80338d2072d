"""Review decisions on a case gathered from the real stores: disclose,
withhold, redact (spans, phrases, suggestions), bulk, staleness after a
re-gather, approval, and what the audit trail and timeline hold."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.lifecycle import IllegalTransition
from app.cases.models import CaseEvent, CaseStatus
from app.exports.content import build_pack_content, item_digest
from app.extensions import db
from app.review import listing, services
from app.review.exemptions import Exemption
from app.review.models import Action, ItemDecision
from app.review.redaction import MARKER, apply_redactions
from app.sources.access_log.models import AccessLogEntry
from app.sources.validation import FieldError
from tests.unit.review.factory import items_of, key_of, regather

BODY = "Dear Mrs O'Brien, Amelia and Isla did well."
NOTE = "Isla's mother asked us not to share this"


def _decision(case, key) -> ItemDecision:
    return db.session.scalars(
        select(ItemDecision).where(ItemDecision.case_id == case.id, ItemDecision.item_key == key)
    ).one()


def _decide_all(case, actor, action=Action.DISCLOSE) -> None:
    services.decide_many(case, [], action, None, None, actor, undecided=True)
    db.session.commit()


def test_review_groups_items_by_source_then_category_all_undecided_when_new(case):
    found = listing.review(case)
    pairs = [(group.source, group.category) for group in found.groups]
    assert (
        pairs == sorted(pairs)
        and ("pupils", "send") in pairs
        and ("correspondence", "correspondence") in pairs
    )
    assert found.progress.total == len(items_of(case)) and found.progress.undecided == found.progress.total
    assert found.can_decide and not found.can_approve
    assert all(entry.state == listing.UNDECIDED and entry.decision is None for entry in found.items)


def test_decide_disclose_stores_the_digest_and_clears_exemption_and_spans(case, caseworker):
    key = key_of(case, "send")
    services.decide(
        case, key, "disclose", "third_party", [{"field": "notes", "start": 0, "end": 3}], "", caseworker
    )
    db.session.commit()
    decision = _decision(case, key)
    assert decision.action is Action.DISCLOSE and decision.exemption is None and decision.redactions == []
    assert decision.note is None and decision.decided_by_id == caseworker.id
    assert decision.item_digest == item_digest(items_of(case)[key].data_json)


@pytest.mark.parametrize("action", ["withhold", "redact"])
def test_decide_without_exemption_is_a_field_error(case, caseworker, action):
    with pytest.raises(FieldError) as refused:
        services.decide(case, key_of(case, "send"), action, None, [], None, caseworker, phrases=["Reading"])
    assert refused.value.field == "exemption"


def test_decide_with_unknown_action_or_exemption_is_a_field_error(case, caseworker):
    key = key_of(case, "send")
    with pytest.raises(FieldError) as bad_action:
        services.decide(case, key, "shred", None, [], None, caseworker)
    with pytest.raises(FieldError) as bad_code:
        services.decide(case, key, "withhold", "because", [], None, caseworker)
    assert (bad_action.value.field, bad_code.value.field) == ("action", "exemption")


def test_redact_without_any_span_is_a_field_error(case, caseworker):
    with pytest.raises(FieldError) as refused:
        services.decide(case, key_of(case, "send"), "redact", "third_party", [], None, caseworker)
    assert refused.value.field == "redactions" and "at least one" in refused.value.message


@pytest.mark.parametrize(
    "span",
    [
        {"field": "notes", "start": 0, "end": 999},
        {"field": "missing", "start": 0, "end": 2},
        {"field": "notes", "start": 5, "end": 5},
        {"field": "notes", "start": "0", "end": 3},
    ],
)
def test_redact_with_a_span_that_does_not_fit_is_a_field_error(case, caseworker, span):
    with pytest.raises(FieldError) as refused:
        services.decide(case, key_of(case, "send"), "redact", "third_party", [span], None, caseworker)
    assert refused.value.field == "redactions"


def test_redact_by_phrase_finds_every_whole_word_in_any_case(case, caseworker):
    key = key_of(case, "correspondence")
    services.decide(case, key, "redact", "third_party", [], None, caseworker, phrases=["isla", " ", "DEAR"])
    db.session.commit()
    decision = _decision(case, key)
    assert decision.redactions == [
        {"field": "body", "start": 0, "end": 4},
        {"field": "body", "start": 29, "end": 33},
    ]
    redacted = apply_redactions(items_of(case)[key].data, decision.redactions)["body"]
    assert redacted == f"{MARKER} Mrs O'Brien, Amelia and {MARKER} did well."


def test_redact_by_a_phrase_not_in_the_item_is_a_field_error(case, caseworker):
    with pytest.raises(FieldError) as refused:
        services.decide(
            case,
            key_of(case, "correspondence"),
            "redact",
            "third_party",
            [],
            None,
            caseworker,
            phrases=["Isl"],
        )
    assert refused.value.field == "phrases" and "does not appear" in refused.value.message


def test_decide_an_item_the_case_does_not_have_raises_lookup_error(case, caseworker):
    with pytest.raises(LookupError):
        services.decide(case, "pupils/send:nope", "disclose", None, [], None, caseworker)


def test_note_with_control_characters_or_too_long_is_a_field_error(case, caseworker):
    key = key_of(case, "send")
    for note in ("a\x00b", "x" * (services.NOTE_MAX_LENGTH + 1)):
        with pytest.raises(FieldError) as refused:
            services.decide(case, key, "disclose", None, [], note, caseworker)
        assert refused.value.field == "note"


def test_deciding_again_replaces_the_decision(case, caseworker):
    key = key_of(case, "send")
    services.decide(case, key, "withhold", "serious_harm", [], NOTE, caseworker)
    services.decide(
        case, key, "redact", "third_party", [{"field": "notes", "start": 0, "end": 7}], None, caseworker
    )
    db.session.commit()
    decision = _decision(case, key)
    assert (decision.action, decision.exemption, decision.note) == (
        Action.REDACT,
        Exemption.THIRD_PARTY,
        None,
    )
    assert len(db.session.scalars(select(ItemDecision).where(ItemDecision.case_id == case.id)).all()) == 1


def test_decision_is_stale_after_a_regather_changes_the_item(case, caseworker):
    key = key_of(case, "send")
    services.decide(case, key, "disclose", None, [], None, caseworker)
    db.session.commit()
    regather(case, key)  # same data: still current
    assert {e.key: e.state for e in listing.review(case).items}[key] == listing.DECIDED
    regather(case, key, notes="Reading support 2024, with a new plan")
    found = listing.review(case)
    assert {e.key: e.state for e in found.items}[key] == listing.STALE and found.progress.stale == 1


def test_decisions_are_made_only_while_the_case_is_in_review(case, caseworker):
    _decide_all(case, caseworker)
    services.approve(case, caseworker)
    db.session.commit()
    for attempt in (
        lambda: services.decide(case, key_of(case, "send"), "disclose", None, [], None, caseworker),
        lambda: services.decide_many(case, [], "disclose", None, None, caseworker, undecided=True),
        lambda: services.accept_suggestions(case, key_of(case, "correspondence"), caseworker),
        lambda: services.approve(case, caseworker),
    ):
        with pytest.raises(IllegalTransition):
            attempt()
        db.session.rollback()


def test_every_decision_is_audited_and_on_the_timeline_without_any_text(case, caseworker):
    key = key_of(case, "correspondence")
    decision = services.decide(
        case, key, "redact", "third_party", [], NOTE, caseworker, phrases=["Isla", "O'Brien"]
    )
    db.session.commit()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.item_decided")).one()
    assert event.actor_id == caseworker.id and event.object_id == case.id
    assert event.data == {
        "decision": str(decision.id),
        "item": str(items_of(case)[key].id),
        "action": "redact",
        "exemption": "third_party",
        # Every place both names appear, in the body and in nested text too.
        "spans": len(decision.redactions),
        "bulk": False,
        "changed": False,
    }
    assert len(decision.redactions) >= 2
    timeline = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "item_decided")).one()
    assert timeline.data == {"decision": str(decision.id), "action": "redact", "exemption": "third_party"}
    stored = json.dumps([event.data, timeline.data])
    for text in ("Isla", "Brien", "mother", key):
        assert text not in stored


def test_bulk_disclose_of_undecided_leaves_decided_and_stale_items_alone(case, caseworker):
    withheld, stale = key_of(case, "send"), key_of(case, "identity")
    services.decide(case, withheld, "withhold", "serious_harm", [], None, caseworker)
    services.decide(case, stale, "withhold", "third_party", [], None, caseworker)
    db.session.commit()
    regather(case, stale, upn="changed")
    made = services.decide_many(case, [], "disclose", None, None, caseworker, undecided=True)
    db.session.commit()
    assert len(made) == len(items_of(case)) - 2
    assert (
        _decision(case, withheld).action is Action.WITHHOLD
        and _decision(case, stale).action is Action.WITHHOLD
    )
    assert listing.review(case).progress.stale == 1
    with pytest.raises(FieldError) as nothing_left:
        services.decide_many(case, [], "disclose", None, None, caseworker, undecided=True)
    assert nothing_left.value.field == "item_keys"


def test_bulk_withhold_of_a_selection_needs_one_exemption_and_audits_each_item(case, caseworker):
    keys = [key for key, item in items_of(case).items() if item.source == "correspondence"]
    with pytest.raises(FieldError) as refused:
        services.decide_many(case, keys, "withhold", None, None, caseworker)
    assert refused.value.field == "exemption"
    services.decide_many(case, keys, "withhold", "third_party", "One note for all", caseworker)
    db.session.commit()
    assert {_decision(case, key).exemption for key in keys} == {Exemption.THIRD_PARTY}
    audited = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.item_decided")).all()
    assert len(audited) == len(keys) and all(event.data["bulk"] for event in audited)
    timeline = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "items_decided")).one()
    assert timeline.data == {"action": "withhold", "exemption": "third_party", "count": len(keys)}


def test_bulk_naming_an_unknown_item_decides_nothing(case, caseworker):
    keys = [key_of(case, "send"), "pupils/send:not-this-case"]
    with pytest.raises(FieldError) as refused:
        services.decide_many(case, keys, "disclose", None, None, caseworker)
    assert refused.value.field == "item_keys" and "1 of the items" in refused.value.message
    db.session.rollback()
    assert db.session.scalars(select(ItemDecision)).all() == []


@pytest.mark.parametrize("action", ["redact", "shred"])
def test_bulk_redact_or_unknown_action_is_a_field_error(case, caseworker, action):
    with pytest.raises(FieldError) as refused:
        services.decide_many(case, [key_of(case, "send")], action, "third_party", None, caseworker)
    assert refused.value.field == "action"


def test_bulk_with_no_items_chosen_is_a_field_error(case, caseworker):
    with pytest.raises(FieldError) as refused:
        services.decide_many(case, [], "disclose", None, None, caseworker)
    assert refused.value.field == "item_keys"


def test_accept_suggestions_redacts_the_other_pupils_name_as_third_party(case, caseworker):
    key = key_of(case, "correspondence")
    entry = {e.key: e for e in listing.review(case).items}[key]
    assert [(s.field, s.start, s.end, s.name_kind) for s in entry.suggestions] == [("body", 29, 33, "pupil")]
    services.accept_suggestions(case, key, caseworker)
    db.session.commit()
    decision = _decision(case, key)
    assert decision.action is Action.REDACT and decision.exemption is Exemption.THIRD_PARTY
    assert apply_redactions({"body": BODY}, decision.redactions)["body"] == BODY.replace("Isla", MARKER)


def test_accept_suggestions_keeps_parts_already_redacted_as_third_party(case, caseworker):
    key = key_of(case, "correspondence")
    services.decide(case, key, "redact", "third_party", [], NOTE, caseworker, phrases=["Dear"])
    services.accept_suggestions(case, key, caseworker)
    db.session.commit()
    decision = _decision(case, key)
    assert decision.redactions == [
        {"field": "body", "start": 0, "end": 4},
        {"field": "body", "start": 29, "end": 33},
    ]
    assert decision.note == NOTE


def test_accept_suggestions_refused_when_redacted_under_another_exemption_or_none_suggested(case, caseworker):
    key = key_of(case, "correspondence")
    services.decide(case, key, "redact", "serious_harm", [], None, caseworker, phrases=["Dear"])
    with pytest.raises(FieldError) as other_ground:
        services.accept_suggestions(case, key, caseworker)
    with pytest.raises(FieldError) as nothing:
        services.accept_suggestions(case, key_of(case, "send"), caseworker)
    assert other_ground.value.field == nothing.value.field == "suggestions"


def test_approve_refuses_while_items_are_undecided_or_stale_and_says_how_many(case, caseworker):
    total = len(items_of(case))
    with pytest.raises(services.ReviewIncomplete) as undecided:
        services.approve(case, caseworker)
    assert undecided.value.undecided == total and f"{total} items not yet decided" in str(undecided.value)
    db.session.rollback()
    _decide_all(case, caseworker)
    regather(case, key_of(case, "send"), notes="changed")
    with pytest.raises(services.ReviewIncomplete) as stale:
        services.approve(case, caseworker)
    assert (stale.value.undecided, stale.value.stale) == (0, 1)
    assert "1 item changed by a re-gather since its decision" in str(stale.value)
    assert case.status is CaseStatus.IN_REVIEW


def test_approve_moves_the_reviewed_case_to_approved_and_the_pack_can_be_built(case, caseworker):
    letter = key_of(case, "correspondence")
    services.decide(case, key_of(case, "send"), "withhold", "serious_harm", [], None, caseworker)
    services.accept_suggestions(case, letter, caseworker)
    _decide_all(case, caseworker)
    services.approve(case, caseworker)
    db.session.commit()
    db.session.expire_all()
    assert case.status is CaseStatus.APPROVED
    moved = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.status_changed")).all()[-1]
    assert moved.data["to"] == "approved" and moved.data["withheld"] == 1 and moved.data["redacted"] == 1
    pack = build_pack_content(case)
    assert pack.withheld_count == 1 and pack.redacted_count == 1
    (sent,) = [item for section in pack.sections for item in section.items if item.key == letter]
    assert sent.redacted and sent.data["body"] == BODY.replace("Isla", MARKER)


def test_viewing_the_review_is_audited_and_access_logged(case, caseworker, world):
    listing.view_review(caseworker, case)
    listing.view_item(caseworker, case, key_of(case, "send"))
    db.session.commit()
    looks = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "collect.viewed")).all()
    assert [event.data["area"] for event in looks] == [listing.REVIEW_AREA, listing.REVIEW_AREA]
    logged = db.session.scalars(
        select(AccessLogEntry).where(AccessLogEntry.area == listing.REVIEW_AREA)
    ).all()
    assert {entry.person_id for entry in logged} == {
        world.amelia.id
    }  # the subject's record, not the mother's
    assert {entry.actor_email for entry in logged} == {caseworker.email}
    with pytest.raises(LookupError):
        listing.view_item(caseworker, case, "pupils/send:nope")


@pytest.mark.parametrize("request_type", ["erasure", "rectification"])
def test_erasure_and_rectification_are_not_approved_by_the_item_review(case, caseworker, request_type):
    from app.cases.models import RequestType

    _decide_all(case, caseworker)
    case.request_type = RequestType(request_type)
    db.session.commit()
    with pytest.raises(IllegalTransition, match=f"an {request_type}|a {request_type}"):
        services.approve(case, caseworker)
    db.session.rollback()
    assert case.status is CaseStatus.IN_REVIEW
