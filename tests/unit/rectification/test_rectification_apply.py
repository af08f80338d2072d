"""Applying approved corrections to the stores, stale detection, re-runs,
and the confirmation letter read back from the stored PDF."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.cases.lifecycle import IllegalTransition
from app.cases.models import CaseStatus
from app.extensions import db
from app.mail.models import OutboxMessage
from app.recipients import services as recipients
from app.recipients.models import NoticeStatus, RecipientKind, RecipientNotice
from app.recipients.who_received import Recipient
from app.rectification import apply, services
from app.rectification.models import ProposalStatus, RectificationLetter
from app.sources.protocol import PersonKind
from app.sources.pupils.models import Pupil
from app.sources.validation import FieldError
from tests.unit.recipients.factory import disclose
from tests.unit.rectification.factory import letter_text

P = PersonKind.PUPIL
REFUSAL = "Her birth certificate gives Rose as her middle name."
OTHERS = "Others only where the law requires it"
LA = "Leeds City Council"


def _approved(case, world, user, **changes):
    """Each change proposed; middle_names refused, the others approved; case approved."""
    proposals = {}
    for field, value in changes.items():
        proposal = services.propose(case, user, P, world.amelia.id, field, value)
        approve = field != "middle_names"
        services.decide(case, proposal.id, user, approve=approve, reason=None if approve else REFUSAL)
        proposals[field] = proposal
    services.approve_case(case, user)
    db.session.commit()
    return proposals


def _apply(case, user) -> None:
    services.start_apply(case, user)
    db.session.commit()  # the job runs inline once this commits
    db.session.expire_all()


def _amelia(world) -> Pupil:
    return db.session.get(Pupil, world.amelia.id, populate_existing=True)


def test_apply_writes_approved_values_and_responds(case, world, caseworker) -> None:
    found = _approved(case, world, caseworker, postcode="LS2 7EW", legal_surname="Nunez", middle_names="Rosa")
    _apply(case, caseworker)
    amelia = _amelia(world)
    assert (amelia.postcode, amelia.legal_surname, amelia.middle_names) == ("LS2 7EW", "Nunez", "Rose")
    assert amelia.surname_key == "nunez"  # matching finds her by the corrected name
    assert found["postcode"].status is ProposalStatus.APPLIED
    assert found["middle_names"].status is ProposalStatus.REFUSED
    assert case.status is CaseStatus.RESPONDED
    assert [e.data.get("to") for e in case.events if e.kind == "status_changed"][-2:] == [
        "executing",
        "responded",
    ]


def test_apply_notifies_the_recipients_of_the_data(case, world, caseworker) -> None:
    _approved(case, world, caseworker, postcode="LS2 7EW")
    _apply(case, caseworker)
    notices = db.session.scalars(select(RecipientNotice).where(RecipientNotice.case_id == case.id)).all()
    assert notices
    assert {n.change.value for n in notices} == {"rectification"}


def test_changed_store_value_stops_the_proposal_as_stale(case, world, caseworker) -> None:
    found = _approved(case, world, caseworker, postcode="LS2 7EW", town="Leeds")
    world.amelia.postcode = "LS9 9ZZ"  # someone at the school corrected it meanwhile
    db.session.commit()
    _apply(case, caseworker)
    amelia = _amelia(world)
    assert amelia.postcode == "LS9 9ZZ"
    assert amelia.town == "Leeds"
    assert found["postcode"].status is ProposalStatus.STALE
    assert found["town"].status is ProposalStatus.APPLIED
    assert case.status is CaseStatus.EXECUTING
    assert db.session.scalar(select(func.count()).select_from(RectificationLetter)) == 0


def test_stale_proposal_is_not_approved_without_proposing_again(case, world, caseworker) -> None:
    found = _approved(case, world, caseworker, postcode="LS2 7EW")
    world.amelia.postcode = "LS9 9ZZ"
    db.session.commit()
    _apply(case, caseworker)
    with pytest.raises(FieldError) as caught:
        services.decide(case, found["postcode"].id, caseworker, approve=True)
    assert caught.value.field == "proposal"
    db.session.rollback()
    with pytest.raises(IllegalTransition, match="stale"):
        services.start_apply(case, caseworker)


def test_reapply_skips_applied_proposals(case, world, caseworker) -> None:
    found = _approved(case, world, caseworker, postcode="LS2 7EW", town="Leeds")
    world.amelia.postcode = "LS9 9ZZ"
    db.session.commit()
    _apply(case, caseworker)
    amelia = _amelia(world)  # the town was applied; a later edit of it must survive the re-run
    amelia.town = "Wakefield"
    db.session.commit()
    services.propose(case, caseworker, P, world.amelia.id, "postcode", "LS2 7EW")
    services.decide(case, found["postcode"].id, caseworker, approve=True)
    db.session.commit()
    _apply(case, caseworker)
    amelia = _amelia(world)
    assert (amelia.postcode, amelia.town) == ("LS2 7EW", "Wakefield")
    assert case.status is CaseStatus.RESPONDED


def test_rerun_of_a_finished_apply_changes_nothing(case, world, caseworker) -> None:
    _approved(case, world, caseworker, postcode="LS2 7EW")
    _apply(case, caseworker)
    amelia = _amelia(world)
    amelia.postcode = "LS3 1AA"
    db.session.commit()
    apply.run_apply(case.id, caseworker.id)  # RQ delivering the job again
    assert _amelia(world).postcode == "LS3 1AA"
    assert db.session.scalar(select(func.count()).select_from(RectificationLetter)) == 1
    notices = db.session.scalar(select(func.count()).select_from(RecipientNotice))
    apply.run_apply(case.id, caseworker.id)
    assert db.session.scalar(select(func.count()).select_from(RecipientNotice)) == notices


def test_letter_lists_corrections_refusals_and_the_ico(case, world, caseworker) -> None:
    _approved(case, world, caseworker, postcode="LS2 7EW", middle_names="Rosa")
    _apply(case, caseworker)
    letter = apply.latest_letter(case)
    assert letter is not None and letter.pages >= 1
    text = " ".join(letter_text(letter).split())
    assert "What we corrected" in text
    assert "Postcode (pupil record) LS1 4AP LS2 7EW" in text
    assert "What we have not changed, and why" in text
    assert "Middle names (pupil record) " + REFUSAL in text
    assert "Information Commissioner" in text
    assert case.reference in text


def test_letter_download_is_audited(case, world, caseworker) -> None:
    from app.audit.models import AuditEvent

    _approved(case, world, caseworker, postcode="LS2 7EW")
    _apply(case, caseworker)
    letter, blob = apply.staff_download(case, caseworker)
    db.session.commit()
    assert blob.content_type == "application/pdf"
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "rectification.letter_downloaded")
    ).one()
    assert event.data == {"letter": str(letter.id)}


def test_case_approved_without_proposals_is_not_applied(case, caseworker) -> None:
    from app.cases import lifecycle

    lifecycle.move(case, CaseStatus.APPROVED, caseworker)  # as the item review's approval does
    db.session.commit()
    with pytest.raises(IllegalTransition, match="at least one"):
        services.start_apply(case, caseworker)


def test_letter_with_every_correction_refused_gives_the_reasons(case, world, caseworker) -> None:
    _approved(case, world, caseworker, middle_names="Rosa")
    _apply(case, caseworker)
    assert case.status is CaseStatus.RESPONDED
    assert db.session.scalar(select(func.count()).select_from(RecipientNotice)) == 0  # nothing changed
    text = " ".join(letter_text(apply.latest_letter(case)).split())
    assert REFUSAL in text


def test_contact_record_is_corrected_in_its_own_store(world, caseworker) -> None:
    from app.sources.contacts.models import Contact
    from tests.unit.rectification.factory import mothers_own_case

    case = mothers_own_case(world, caseworker)
    assert case.status is CaseStatus.IN_REVIEW
    kind = PersonKind.CONTACT
    with pytest.raises(services.FieldError, match="is not an email address"):
        services.propose(case, caseworker, kind, world.mother.id, "email", "siobhan.example.net")
    db.session.rollback()
    proposal = services.propose(case, caseworker, kind, world.mother.id, "email", "siobhan@example.org")
    services.decide(case, proposal.id, caseworker, approve=True)
    services.approve_case(case, caseworker)
    db.session.commit()
    _apply(case, caseworker)
    assert db.session.get(Contact, world.mother.id).email == "siobhan@example.org"
    assert case.status is CaseStatus.RESPONDED


def _answer(case) -> str:
    """The requester's emailed answer, on one line."""
    answer = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.case_id == case.id, OutboxMessage.category == "case.rectification_done"
        )
    ).one()
    return " ".join(answer.text_body.split())


def test_answer_says_the_school_was_asked_to_tell_a_recipient_it_has_not_told(
    case, world, caseworker
) -> None:
    # QA's case: no contact for the register's recipients, so their notices
    # wait for the school, which is only asked to tell them.
    disclose("pupils", "identity", LA)
    _approved(case, world, caseworker, postcode="LS2 7EW")
    _apply(case, caseworker)
    notices = {n.recipient_name: n.status for n in recipients.notices_for(case)}
    # "Others" is a kind of recipient, no disclosure to one recorded: closed.
    assert notices == {LA: NoticeStatus.PENDING, OTHERS: NoticeStatus.NONE_RECORDED}
    printed = " ".join(letter_text(apply.latest_letter(case)).split())
    for text in (_answer(case), printed):
        assert (
            f"We have asked {world.elm.name} to tell this organisation, which had received this data" in text
        )
        assert LA in text
        assert "we have told" not in text.casefold()
        # The register's "others where the law requires it" is no organisation.
        assert OTHERS not in text
        assert "You can ask us who has received this data" in text


def test_answer_names_a_recipient_sent_the_notice_as_told(case, world, caseworker, monkeypatch, smtp) -> None:
    found = Recipient(RecipientKind.REGISTER, LA, "dpo@leeds.example.gov.uk", ["Pupil identity"])
    monkeypatch.setattr(recipients, "recipients_for", lambda case, change=None: [found])
    _approved(case, world, caseworker, postcode="LS2 7EW")
    _apply(case, caseworker)
    (notice,) = recipients.notices_for(case)
    assert notice.status is NoticeStatus.SENT
    printed = " ".join(letter_text(apply.latest_letter(case)).split())
    for text in (_answer(case), printed):
        assert (
            "We have told this organisation, which had received this data, so it can correct it too" in text
        )
        assert f"{LA}, on " in text and "asked" not in text
