"""The DPO keeps whole categories out of an erasure: the plan keeps them with
the ground's sentence, a rebuild remembers, undoing erases them as planned
again, execution leaves them alone and the certificate says why; bad
categories and grounds are refused by field, and an approved plan is fixed."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.blobs.services import open_blob
from app.cases.lifecycle import IllegalTransition
from app.erasure import services
from app.erasure.models import StepAction
from app.erasure.plan import SCOPE_REASONS, build_plan, set_category_kept
from app.extensions import db
from app.rights.models import HoldSubject
from app.sources.correspondence.models import Message
from app.sources.pupils.models import Pupil, SendRecord
from app.sources.validation import FieldError
from tests.unit.erasure.factory import hold


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _actions(plan) -> dict[tuple[str, str], tuple[StepAction, str | None]]:
    return {(s.source, s.category): (s.action, s.reason_code) for s in plan.steps}


def test_a_kept_category_is_kept_with_the_grounds_sentence_and_survives_a_rebuild(erasure):
    _, actor, case = erasure
    build_plan(case, actor)

    plan = set_category_kept(case, actor, "correspondence", "correspondence", "not_requested")
    db.session.commit()

    assert _actions(plan)[("correspondence", "correspondence")] == (StepAction.KEEP, "not_requested")
    (step,) = [s for s in plan.steps if s.category == "correspondence"]
    assert step.reason == SCOPE_REASONS["not_requested"] and step.record_count == 3
    assert _actions(plan)[("pupils", "send")] == (StepAction.DELETE, None)  # the rest as before
    assert plan.kept_categories == {"correspondence:correspondence": "not_requested"}

    rebuilt = build_plan(case, actor)
    assert _actions(rebuilt)[("correspondence", "correspondence")] == (StepAction.KEEP, "not_requested")
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "erasure.category_kept")).one()
    assert audit.data == {"source": "correspondence", "category": "correspondence", "keep": "not_requested"}


def test_keep_none_erases_the_category_as_planned_again(erasure):
    _, actor, case = erasure
    build_plan(case, actor)
    set_category_kept(case, actor, "correspondence", "correspondence", "art17_3_e_legal_claims")

    plan = set_category_kept(case, actor, "correspondence", "correspondence", None)

    assert _actions(plan)[("correspondence", "correspondence")] == (StepAction.DELETE, None)
    assert plan.kept_categories is None


def test_what_hangs_on_the_pupil_record_is_kept_only_with_it(erasure):
    _, actor, case = erasure
    build_plan(case, actor)
    db.session.commit()
    with pytest.raises(FieldError, match="can be kept only with") as refused:
        set_category_kept(case, actor, "pupils", "send", "art17_3_e_legal_claims")
    assert refused.value.field == "category"
    db.session.rollback()

    set_category_kept(case, actor, "pupils", "identity", "art17_3_e_legal_claims")
    plan = set_category_kept(case, actor, "pupils", "send", "art17_3_e_legal_claims")
    assert _actions(plan)[("pupils", "send")] == (StepAction.KEEP, "art17_3_e_legal_claims")
    assert _actions(plan)[("pupils", "identity")] == (StepAction.KEEP, "art17_3_e_legal_claims")

    with pytest.raises(FieldError, match="erase them as planned first") as undo:
        set_category_kept(case, actor, "pupils", "identity", None)
    assert undo.value.field == "keep"


def test_an_organisation_hold_still_names_itself_over_the_dpos_ground(erasure):
    world, actor, case = erasure
    build_plan(case, actor)
    hold(HoldSubject.ORGANISATION, world.elm.id)

    plan = set_category_kept(case, actor, "correspondence", "correspondence", "not_requested")

    assert _actions(plan)[("correspondence", "correspondence")] == (StepAction.KEEP, "legal_hold")


@pytest.mark.parametrize(
    ("source", "category", "keep", "field"),
    [
        ("pupils", "shoe_size", "not_requested", "category"),
        ("helpdesk", "support_ticket", "not_requested", "category"),  # a category with nothing of hers
        ("", "", "not_requested", "category"),
        ("pupils", "send", "because_i_said_so", "keep"),
    ],
)
def test_an_unknown_category_or_ground_is_refused_by_field(erasure, source, category, keep, field):
    _, actor, case = erasure
    build_plan(case, actor)
    with pytest.raises(FieldError) as refused:
        set_category_kept(case, actor, source, category, keep)
    assert refused.value.field == field


def test_scope_needs_a_draft_plan(erasure):
    _, actor, case = erasure
    with pytest.raises(IllegalTransition, match="build the erasure plan first"):
        set_category_kept(case, actor, "pupils", "send", "not_requested")
    build_plan(case, actor)
    db.session.commit()
    services.approve(case, actor)
    db.session.commit()
    with pytest.raises(IllegalTransition, match="can no longer change"):
        set_category_kept(case, actor, "pupils", "send", "not_requested")


def test_execution_leaves_a_kept_category_and_the_certificate_says_why(erasure):
    world, actor, case = erasure
    build_plan(case, actor)
    set_category_kept(case, actor, "correspondence", "correspondence", "not_requested")
    set_category_kept(case, actor, "pupils", "identity", "art17_3_b_legal_obligation")
    set_category_kept(case, actor, "pupils", "send", "art17_3_b_legal_obligation")
    db.session.commit()
    services.approve(case, actor)
    db.session.commit()

    plan = services.execute(case, actor)
    db.session.commit()  # the jobs run inline
    db.session.expire_all()

    assert _count(Message, Message.organisation_id == world.elm.id) == 3
    assert _count(SendRecord, SendRecord.pupil_id == world.amelia.id) == 1
    pupil = db.session.get(Pupil, world.amelia.id)
    assert pupil.anonymised_at is None and pupil.legal_forename == "Amelia"
    pdf = PdfReader(io.BytesIO(b"".join(open_blob(plan.certificate_blob_id))))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)
    assert SCOPE_REASONS["not_requested"] in text
    assert "(Art 17(3)(b))" in text
