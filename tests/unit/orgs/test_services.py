from datetime import date

import pytest

from app.orgs.models import OrgKind
from app.orgs.services import covered_organisation_ids, create_organisation
from app.sources.validation import FieldError


def _org(**overrides):
    values = {
        "name": "Hollybank Primary School",
        "kind": "school",
        "nation": "england",
        "contract_start": date(2023, 9, 1),
        "dp_contact_name": "A. Governor",
        "dp_contact_email": "dpo@hollybank.sch.uk",
    }
    values.update(overrides)
    return create_organisation(**values)


def test_trust_covers_its_schools_but_a_school_only_itself(db_session):
    trust = _org(name="Northern Lights Academy Trust", kind=OrgKind.TRUST)
    db_session.flush()
    school_a = _org(name="Ash Academy", trust=trust)
    school_b = _org(name="Birch Academy", trust=trust)
    outsider = _org(name="Cedar School")
    db_session.flush()
    assert set(covered_organisation_ids(trust.id)) == {trust.id, school_a.id, school_b.id}
    assert covered_organisation_ids(outsider.id) == [outsider.id]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"dp_contact_email": "not-an-email"}, "dp_contact_email"),
        ({"nation": "cornwall"}, "nation"),
        ({"kind": "college"}, "kind"),
        ({"contract_end": date(2020, 1, 1)}, "contract_end"),
        ({"la_code": "12"}, "la_code"),
        ({"internal_target_days": 45}, "internal_target_days"),
        ({"name": "  "}, "name"),
    ],
)
def test_create_organisation_names_the_bad_field(db_session, overrides, field):
    with pytest.raises(FieldError) as excinfo:
        _org(**overrides)
    assert excinfo.value.field == field


def test_a_trust_cannot_join_a_trust(db_session):
    trust = _org(name="Trust One", kind="trust")
    db_session.flush()
    with pytest.raises(FieldError, match="trust"):
        _org(name="Trust Two", kind="trust", trust=trust)
