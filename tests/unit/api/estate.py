"""A small estate for API tests: a standalone school (Alder), a trust (Birch)
with one school (Birch Primary), a user of every role, and an API token each.

Used by the API unit and functional tests, the tenant-isolation walk and the
schemathesis seed; not a test module itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.accounts.models import Role, User
from app.api.models import ApiToken
from app.api.tokens import issue_token
from app.extensions import db
from app.orgs.models import Organisation
from tests import signin


def make_organisation(name: str, kind: str = "school", trust: Organisation | None = None) -> Organisation:
    # A contact of its own per organisation: the isolation walk looks for
    # the other side's address in every answer.
    return signin.make_organisation(
        name,
        kind,
        trust,
        dp_contact_name=f"{name} DPO",
        dp_contact_email=f"dpo@{name.lower().replace(' ', '-')}.example.org",
    )


def make_user(email: str, role: Role, organisation: Organisation | None = None, name: str = "") -> User:
    # Built directly: API tests need no password, and sign-in rules live elsewhere.
    user = User(
        email=email,
        name=name or email.split("@")[0].replace(".", " ").title(),
        password_hash="!unusable",
        role=role,
        organisation_id=organisation.id if organisation else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


@dataclass
class Estate:
    alder: Organisation
    birch_trust: Organisation
    birch_primary: Organisation
    users: dict[str, User] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, ApiToken] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets[who]}"}


def build_estate() -> Estate:
    alder = make_organisation("Alder Academy")
    birch_trust = make_organisation("Birch Learning Trust", kind="trust")
    birch_primary = make_organisation("Birch Primary", trust=birch_trust)
    estate = Estate(alder, birch_trust, birch_primary)
    people = {
        "admin": ("ada.admin@rightsdesk.example", Role.ADMIN, None),
        "caseworker": ("cas.worker@rightsdesk.example", Role.CASEWORKER, None),
        "alder": ("alice.alder@alder.example.org", Role.SCHOOL, alder),
        "trust": ("tom.trust@birch.example.org", Role.SCHOOL, birch_trust),
        "birch": ("bea.birch@birch-primary.example.org", Role.SCHOOL, birch_primary),
    }
    for key, (email, role, organisation) in people.items():
        user = make_user(email, role, organisation)
        estate.users[key] = user
        issued = issue_token(user, name=f"{key} laptop", days=30, actor=user)
        estate.secrets[key] = issued.secret
        estate.tokens[key] = issued.token
    db.session.commit()
    return estate
