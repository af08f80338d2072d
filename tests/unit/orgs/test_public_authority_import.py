"""An organisation's import row may say whether it is a public authority
(yes/no, true/false); without it, schools and trusts are and nurseries are
not, as migration 0036 backfilled."""

from __future__ import annotations

from datetime import date

import pytest

from app.extensions import db
from app.orgs.models import Organisation
from app.sources.validation import FieldError
from tests.signin import make_organisation


@pytest.mark.parametrize(
    ("kind", "given", "expected"),
    [
        ("school", None, True),
        ("trust", "", True),
        ("nursery", None, False),
        ("nursery", "yes", True),  # a maintained nursery school
        ("nursery", "TRUE", True),
        ("school", "no", False),  # an independent school
        ("school", " false ", False),
        ("school", False, False),
    ],
)
def test_public_authority_follows_the_column_else_the_kind(db_session, kind, given, expected):
    assert make_organisation("Somewhere", kind, public_authority=given).public_authority is expected


def test_public_authority_column_refuses_other_answers(db_session):
    with pytest.raises(FieldError) as raised:
        make_organisation("Somewhere", "school", public_authority="maybe")
    assert raised.value.field == "public_authority"


def test_public_authority_defaults_by_kind_for_a_row_made_without_it(db_session):
    # Rows made directly (fixtures, the demo's bulk rows name it) take the default too.
    nursery = Organisation(
        name="Little Acorns", kind="nursery", nation="england", contract_start=date(2024, 9, 1),
        dp_contact_name="DPO", dp_contact_email="dpo@example.org",
    )  # fmt: skip
    db.session.add(nursery)
    db.session.flush()
    db.session.refresh(nursery)
    assert nursery.public_authority is False
