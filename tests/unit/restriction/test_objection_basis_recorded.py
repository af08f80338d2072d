"""Each objection's decision keeps the basis it rested on: the letter, the
audit trail and the timeline say what applied when it was decided, whatever
the register or the organisation sets later. Objections decided before the
basis was kept read the current one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.cases.models import CaseEvent
from app.extensions import db
from app.register import bases
from app.register.models import LawfulBasis
from app.restriction import objections
from app.restriction.letters import objection_decided
from tests.unit.api.estate import make_user
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.restriction.factory import basis_at, register_entry

CONTRACT = "Contract (UK GDPR Art 6(1)(b)): the school's contract with the parents for the child's place."
LATER = "Contract (UK GDPR Art 6(1)(b)): the parents' new agreement with the school, from September."


def _decided_on_contract(world, caseworker):
    entry = register_entry("pupils", "identity")
    basis_at(world.elm, entry, "contract", CONTRACT)
    case = confirmed_amelia(world, caseworker, request_type="objection")
    objection = objections.record_objection(case, caseworker, register_entry_id=entry.id)
    objections.decide_no_right(case, objection, caseworker, not_direct_marketing=True)
    db.session.commit()
    return case, objection, entry


def test_no_right_letter_quotes_the_basis_decided_on_after_the_school_changes_it(app, world, caseworker):
    case, objection, entry = _decided_on_contract(world, caseworker)
    assert (objection.basis, objection.basis_wording) == (LawfulBasis.CONTRACT, CONTRACT)
    basis_at(world.elm, entry, "contract", LATER)
    body = objection_decided(case).body
    assert CONTRACT in body and LATER not in body
    # Back on the register's public task, the decision still stands on the contract it rested on.
    bases.clear_basis(world.elm, entry, make_user("root@company.example", Role.ADMIN))
    db.session.commit()
    assert objections.outside_article_21(case, objection) is not None
    assert CONTRACT in objection_decided(case).body


def test_decision_audit_and_timeline_carry_the_basis_code(app, world, caseworker):
    case, objection, _ = _decided_on_contract(world, caseworker)
    audited = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "objection.decided")).one()
    assert audited.data["basis"] == "contract" and audited.data["decision"] == "no_right"
    timeline = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "objection_decided")
    ).one()
    assert timeline.data == {"objection_id": str(objection.id), "decision": "no_right", "basis": "contract"}


@pytest.mark.parametrize("uphold", [True, False])
def test_upheld_or_rejected_objection_records_its_basis_too(app, world, caseworker, uphold):
    case = confirmed_amelia(world, caseworker, request_type="objection")
    entry = register_entry("pupils", "identity")
    objection = objections.record_objection(case, caseworker, register_entry_id=entry.id)
    objections.decide_objection(case, objection, caseworker, uphold=uphold, grounds="A duty of the school.")
    assert (objection.basis, objection.basis_wording) == (LawfulBasis.PUBLIC_TASK, entry.lawful_basis)


def test_objection_without_a_register_entry_records_no_basis(app, world, caseworker):
    case = confirmed_amelia(world, caseworker, request_type="objection")
    objection = objections.record_objection(case, caseworker, purpose="Sharing with the local council")
    objections.decide_objection(case, objection, caseworker, uphold=True)
    db.session.commit()
    assert objection.basis is None and objection.basis_wording is None
    audited = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "objection.decided")).one()
    assert audited.data["basis"] is None


def test_letter_reads_the_current_basis_for_a_decision_made_before_it_was_kept(app, world, caseworker):
    case, objection, entry = _decided_on_contract(world, caseworker)
    # As the migration leaves an objection decided before the basis was kept.
    objection.basis, objection.basis_wording = None, None
    basis_at(world.elm, entry, "contract", LATER)
    assert LATER in objection_decided(case).body
    assert objections.basis_decided_on(case, objection).wording == LATER
