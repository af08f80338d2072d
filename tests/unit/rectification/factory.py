"""A rectification case ready for corrections (not a test module): the
mother's request to correct Amelia's records, her pupil record confirmed and
gathered from the real stores with jobs run inline, so the case is in review."""

from __future__ import annotations

import io

from pypdf import PdfReader

from app.accounts.models import User
from app.blobs.services import open_blob
from app.cases.models import Case
from app.rectification.models import RectificationLetter
from tests.unit.review.factory import gathered_amelia
from tests.unit.sources.factories import World

# A valid UPN other than the world's: check letter recomputed by stdnum.
NEW_UPN_BODY = "801200099999"


def rectification_case(world: World, actor: User) -> Case:
    return gathered_amelia(
        world,
        actor,
        mother=False,
        request_type="rectification",
        description="Her date of birth and postcode are wrong on the school's records.",
    )


def letter_text(letter: RectificationLetter) -> str:
    reader = PdfReader(io.BytesIO(b"".join(open_blob(letter.blob_id))))
    return "\n".join(page.extract_text() for page in reader.pages)


def mothers_own_case(world: World, actor: User) -> Case:
    """The mother's request to correct her own contact record, in review."""
    from app.collect import services
    from app.extensions import db
    from tests.unit.cases.factory import opened_case
    from tests.unit.collect.factory import candidate_for
    from tests.unit.sources.factories import MOTHER_EMAIL

    case = opened_case(
        world.elm,
        actor,
        request_type="rectification",
        requester_name="Siobhan O'Brien",
        requester_email=MOTHER_EMAIL,
        requester_relationship="self",
        subject_name="Siobhan O'Brien",
        subject_role="parent",
        description="My email address is out of date.",
    )
    services.propose_candidates(case, actor)
    services.decide_candidate(case, candidate_for(case, world.mother.id).id, actor, True)
    services.start_gather(case, actor)
    db.session.commit()
    db.session.expire_all()
    return case
