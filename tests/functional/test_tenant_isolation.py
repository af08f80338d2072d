"""Tenant isolation: walk EVERY route under /api/ and /console/ as a user of
one organisation, aimed at another organisation's objects, and prove that
nothing of the other organisation comes back.

Routes are discovered from ``app.url_map`` at run time, so routes added
later are walked without touching this file, unless they take a path
parameter this file does not know: then the test fails and names it, and
``PARAMETERS`` below needs a line saying what to put there.

Every method of every route is sent, signed in twice over: a console
session cookie (password and TOTP, through the real sign-in) and an API
bearer token. A body that would pass validation is sent where ``BODIES``
has one (so the request reaches the object lookup), otherwise an empty one.
Then, for every answer:

- no id, name, email or token detail of the other organisation appears in
  the body or the ``Location`` header;
- when a path parameter names the other organisation's object, the answer
  is not a success (404, 403, 401, 405, 400/422 or a redirect to sign-in);
- afterwards, none of the other organisation's objects has changed.

Company administrators see every organisation and token by design, so they
have no "other organisation" to walk against; caseworkers see every
organisation but only their own tokens, so they are walked against other
users' tokens.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from app.accounts.models import Role, User
from app.api.models import ApiToken
from app.api.tokens import issue_token
from app.cases.evidence import add_evidence
from app.cases.models import Case
from app.cases.references import looks_like_reference
from app.extensions import db
from app.mail.models import OutboxMessage
from app.orgs.models import Organisation
from app.register.models import RegisterEntry
from tests.evidence_files import pdf_file
from tests.signin import csrf_token, make_organisation, make_user, sign_in
from tests.unit.access_log.factory import grant_ids
from tests.unit.cases.factory import new_case

WALKED_PREFIXES = ("/api/", "/console")


@dataclass
class Side:
    """What belongs to one organisation (or, for company staff, to one user)."""

    organisations: list[Organisation] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    tokens: list[ApiToken] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)


@dataclass(frozen=True)
class Parameter:
    meaning: str
    values: Callable[[Side], list[str]]
    # True: the value is the other side's object, so success is a leak.
    # False: an opaque value owned by nobody (only the no-leak check applies).
    names_other_object: bool = True


def _candidate_ids(side: Side) -> list[str]:
    """A candidate record proposed on each case of the side (made on first
    use). Its summary carries the case's requester email, a marker, so a
    leaked candidate shows up in the walk's no-leak check."""
    from app.collect.models import CaseCandidate
    from app.db import new_uuid
    from app.sources.protocol import PersonKind

    ids = []
    for case in side.cases:
        found = db.session.scalars(select(CaseCandidate.id).where(CaseCandidate.case_id == case.id)).first()
        if found is None:
            found = new_uuid()
            db.session.add(
                CaseCandidate(
                    id=found, case_id=case.id, source="pupils", kind=PersonKind.PUPIL, record_id=new_uuid(),
                    organisation_id=case.organisation_id, score=0.9, reasons=["dob_exact"], about="subject",
                    summary_json=json.dumps({"name": "Walk Candidate", "email": case.requester_email}),
                )
            )  # fmt: skip
            db.session.commit()
        ids.append(str(found))
    return ids


def _pack_ids(side: Side) -> list[str]:
    """A ready response pack (two small stored files) on each case of the
    side (made on first use)."""
    from app.blobs.services import store_blob
    from app.db import new_uuid
    from app.exports.models import PackStatus, ResponsePack

    ids = []
    for case in side.cases:
        found = db.session.scalars(select(ResponsePack.id).where(ResponsePack.case_id == case.id)).first()
        if found is None:
            found = new_uuid()
            db.session.add(
                ResponsePack(
                    id=found, case_id=case.id, version=1, status=PackStatus.READY, pdf_pages=1, item_count=0,
                    pdf_blob_id=store_blob(b"%PDF-1.7 walk", "application/pdf").id,
                    zip_blob_id=store_blob(b"PK walk", "application/zip").id,
                )
            )  # fmt: skip
            db.session.commit()
        ids.append(str(found))
    return ids


def _link_ids(side: Side) -> list[str]:
    """A download link to each of those packs, sent to the case's requester
    (whose email is a marker, so a leaked link shows up)."""
    from datetime import timedelta

    from app.db import new_uuid, utcnow
    from app.exports.models import DownloadLink, LinkAudience

    ids = []
    for case, pack_id in zip(side.cases, _pack_ids(side), strict=True):
        found = db.session.scalars(select(DownloadLink.id).where(DownloadLink.case_id == case.id)).first()
        if found is None:
            found = new_uuid()
            db.session.add(
                DownloadLink(
                    id=found, pack_id=uuid.UUID(pack_id), case_id=case.id, audience=LinkAudience.REQUESTER,
                    recipient_email=case.requester_email, token_hash=secrets.token_hex(32),
                    code_hash="0" * 64,
                    expires_at=utcnow() + timedelta(days=7), max_downloads=3, download_count=0,
                    failed_code_attempts=0,
                )
            )  # fmt: skip
            db.session.commit()
        ids.append(str(found))
    return ids


def _message_ids(side: Side) -> list[str]:
    """An email about each case of the side that the mail server refused
    (made on first use; to the case's requester, a marker), so sending it
    again would change it and a leaked one shows up."""
    from app.db import new_uuid, utcnow
    from app.mail.models import OutboxMessage, OutboxStatus

    ids = []
    for case in side.cases:
        found = db.session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.case_id == case.id, OutboxMessage.status == OutboxStatus.FAILED
            )
        ).first()
        if found is None:
            found = new_uuid()
            db.session.add(
                OutboxMessage(
                    id=found, case_id=case.id, category="case.acknowledgement", sender="walk@example.org",
                    recipients=case.requester_email, subject="Walk", text_body="Walk",
                    message_id=f"<{found}@example.org>", status=OutboxStatus.FAILED, attempts=1,
                    last_error="550 walk", created_at=utcnow(),
                )
            )  # fmt: skip
            db.session.commit()
        ids.append(str(found))
    return ids


# Every path parameter of an /api/ or /console/ route, and what the walk puts
# there. Keep this table up to date: a route whose parameter is missing here
# fails the test.
PARAMETERS: dict[str, Parameter] = {
    "organisation_id": Parameter(
        "an organisation of the other side", lambda other: [str(o.id) for o in other.organisations]
    ),
    "token_id": Parameter(
        "an API token of a user of the other side", lambda other: [str(t.id) for t in other.tokens]
    ),
    "user_id": Parameter("a staff user of the other side", lambda other: [str(u.id) for u in other.users]),
    "reference": Parameter(
        "the reference of a case of the other side", lambda other: [c.reference or "" for c in other.cases]
    ),
    "case_id": Parameter("a case of the other side", lambda other: [str(c.id) for c in other.cases]),
    "candidate_id": Parameter("a candidate record of a case of the other side", _candidate_ids),
    "evidence_id": Parameter(
        "an evidence file of a case of the other side",
        lambda other: [str(item.id) for c in other.cases for item in c.evidence],
    ),
    "pack_id": Parameter("a response pack of a case of the other side", _pack_ids),
    "link_id": Parameter("a download link of a case of the other side", _link_ids),
    "message_id": Parameter("a failed email about a case of the other side", _message_ids),
    # Made on first use; each names the side's own user as granter (a marker).
    "grant_id": Parameter(
        "a support-access grant of an organisation of the other side",
        grant_ids,
    ),
    # Which file of a pack: a fixed word, not an object.
    "kind": Parameter("a response pack file (pdf or zip)", lambda other: ["pdf"], names_other_object=False),
    # The processing register is the company's, the same for every school:
    # reading an entry is allowed to all, so a real one stands in.
    "entry_id": Parameter(
        "a processing-register entry (not an organisation's object)",
        lambda other: [str(db.session.scalars(select(RegisterEntry.id)).first())],
        names_other_object=False,
    ),
    # Password-reset links are bearer secrets, not organisation objects: a
    # random one stands for a link the walker was never sent.
    "token": Parameter(
        "a password-reset link token never issued to the walker",
        lambda other: [secrets.token_urlsafe(32)],
        names_other_object=False,
    ),
}

# Bodies that pass validation, so the request reaches the lookup of the
# object in its path. Keyed by (method, rule); everything else gets {}.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/tokens"): {"name": "isolation walk"},
    ("POST", "/api/v1/cases/<reference>/identity"): {
        "decision": "accept",
        "method": "known_to_school",
        "reason": "isolation walk",
        "authority_evidence": "isolation walk",
    },
    ("POST", "/api/v1/cases/<reference>/pause"): {"reason": "other", "question": "isolation walk"},
    ("POST", "/api/v1/cases/<reference>/resume"): {},
    ("POST", "/api/v1/cases/<reference>/assign"): {"assignee_id": None},
    ("POST", "/api/v1/cases/<reference>/extend"): {"reason": "isolation walk"},
    ("POST", "/api/v1/cases/<reference>/candidates/<candidate_id>"): {"decision": "confirm"},
    ("POST", "/api/v1/cases/<reference>/gather/retry"): {"source": "pupils"},
    ("POST", "/console/cases/<uuid:case_id>/candidates/decide"): {
        "candidate_id": "00000000-0000-4000-8000-0000000ca4d1",
        "decision": "confirm",
    },
    ("POST", "/console/cases/<uuid:case_id>/gather/retry"): {"source": "pupils"},
    ("POST", "/api/v1/cases/<reference>/packs/<uuid:pack_id>/links"): {"audience": "school"},
    ("POST", "/console/cases/<uuid:case_id>/pack/<uuid:pack_id>/send"): {"audience": "school"},
    ("POST", "/api/v1/cases/<reference>/refuse"): {
        "reason": "manifestly_unfounded",
        "detail": "isolation walk",
    },
    ("POST", "/console/cases/<uuid:case_id>/identity"): {
        "identity-decision": "accept",
        "identity-method": "known_to_school",
        "identity-reason": "isolation walk",
        "identity-authority_evidence": "isolation walk",
    },
    ("POST", "/console/cases/<uuid:case_id>/pause"): {"pause-reason": "other", "pause-question": "walk"},
    ("POST", "/console/cases/<uuid:case_id>/extend"): {"extend-reason": "isolation walk"},
    ("POST", "/console/cases/<uuid:case_id>/refuse"): {
        "refuse-reason": "manifestly_unfounded",
        "refuse-detail": "isolation walk",
    },
    ("POST", "/api/v1/cases/<reference>/consent-withdrawal"): {"purposes": ["photos_public_website"]},
    ("POST", "/console/cases/<uuid:case_id>/consent-withdrawal"): {"purposes": "photos_public_website"},
}

# Walkers: who walks, and whose objects they aim at.
WALKS = {
    "school user of a standalone school, at a trust and its school": ("alder", "birch_side"),
    "school user of a trust, at another school": ("trust", "alder_side"),
    "school user of a trust's school, at another school": ("birch", "alder_side"),
    "caseworker, at other users' tokens": ("caseworker", "tokens_of_others"),
}


@dataclass
class World:
    users: dict[str, User]
    secrets: dict[str, str]
    totp: dict[str, str]
    sides: dict[str, Side]


@pytest.fixture
def world(app: Flask, db_session) -> World:
    # The walk signs in and out repeatedly from one address; the sign-in
    # limits are tested elsewhere and must not cut this walk short.
    for name in ("LIMIT_SIGN_IN_IP", "LIMIT_SIGN_IN_ACCOUNT", "LIMIT_CODE_ACCOUNT", "LIMIT_RESET_IP"):
        app.config[name] = "10000 per minute"
    app.config["LIMIT_RESET_ACCOUNT"] = "10000 per minute"
    app.config["LIMIT_REAUTH_IP"] = "10000 per minute"

    alder = make_organisation("Alder Academy")
    birch_trust = make_organisation("Birch Learning Trust", kind="trust")
    birch_primary = make_organisation("Birch Primary", trust=birch_trust)
    alder.dp_contact_email = "dpo@alder-academy.example.org"
    birch_trust.dp_contact_email = "dpo@birch-trust.example.org"
    birch_primary.dp_contact_email = "dpo@birch-primary.example.org"
    people = {
        "admin": ("ada@company.example", Role.ADMIN, None),
        "caseworker": ("cas@company.example", Role.CASEWORKER, None),
        "alder": ("alice@alder-academy.example.org", Role.SCHOOL, alder),
        "trust": ("tom@birch-trust.example.org", Role.SCHOOL, birch_trust),
        "birch": ("bea@birch-primary.example.org", Role.SCHOOL, birch_primary),
    }
    users: dict[str, User] = {}
    totp_secrets: dict[str, str] = {}
    token_secrets: dict[str, str] = {}
    tokens: dict[str, ApiToken] = {}
    for key, (email, role, organisation) in people.items():
        users[key], secret = make_user(email, role, organisation)
        assert secret is not None
        totp_secrets[key] = secret
        issued = issue_token(users[key], name=f"{key}-walk-token", days=30)
        token_secrets[key], tokens[key] = issued.secret, issued.token
    db_session.commit()
    alder_cases = [new_case(alder, requester_email="walk@alder.example.net")]
    birch_cases = [new_case(birch_primary, requester_email="walk@birch.example.net")]
    for case in alder_cases + birch_cases:
        add_evidence(case, "identity", io.BytesIO(pdf_file()), filename="id.pdf", declared_type=None)
    db_session.commit()
    sides = {
        "alder_side": Side([alder], [users["alder"]], [tokens["alder"]], alder_cases),
        "birch_side": Side(
            [birch_trust, birch_primary],
            [users["trust"], users["birch"]],
            [tokens["trust"], tokens["birch"]],
            birch_cases,
        ),
        "tokens_of_others": Side([], [], [tokens[k] for k in ("admin", "alder", "trust", "birch")]),
    }
    return World(users, token_secrets, totp_secrets, sides)


def _markers(side: Side) -> set[str]:
    """Strings that only the other side's data could contain."""
    found: set[str] = set()
    for organisation in side.organisations:
        found |= {str(organisation.id), organisation.id.hex, organisation.name, organisation.dp_contact_email}
    for user in side.users:
        found |= {str(user.id), user.id.hex, user.email}
    for token in side.tokens:
        found |= {str(token.id), token.id.hex, token.prefix, token.name}
    for case in side.cases:
        found |= {str(case.id), case.id.hex, case.reference or str(case.id), case.requester_email}
    return found


def walked_rules(app: Flask) -> list[Rule]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.rule.startswith(WALKED_PREFIXES)),
        key=lambda rule: rule.rule,
    )


_PLACEHOLDER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _paths(rule: Rule, other: Side) -> list[tuple[str, bool]]:
    """Every path to send for ``rule``: its parameters filled with the other
    side's values (all combinations). Each comes with whether it names an
    object of the other side."""
    names = list(rule.arguments)
    choices = [PARAMETERS[name].values(other) for name in names]
    paths = []
    for combination in itertools.product(*choices):
        values = dict(zip(names, combination, strict=True))
        path = _PLACEHOLDER.sub(lambda match, given=values: quote(given[match.group(1)], safe=""), rule.rule)
        paths.append((path, any(PARAMETERS[name].names_other_object for name in names)))
    return paths


def _console_signed_in(client: FlaskClient) -> bool:
    return client.get("/console/").status_code == 200


def _send(client: FlaskClient, world: World, who: str, method: str, rule: Rule, path: str):
    headers = {"Authorization": f"Bearer {world.secrets[who]}"}
    if method in ("GET", "HEAD", "OPTIONS"):
        return client.open(path, method=method, headers=headers)
    if rule.rule.startswith("/api/"):
        return client.open(path, method=method, headers=headers, json=BODIES.get((method, rule.rule), {}))
    data = {"csrf_token": csrf_token(client, "/console/account"), **BODIES.get((method, rule.rule), {})}
    return client.open(path, method=method, headers=headers, data=data)


def test_every_walked_route_parameter_is_in_the_table(app):
    unknown = sorted(
        f"{rule.rule} <{name}>"
        for rule in walked_rules(app)
        for name in rule.arguments
        if name not in PARAMETERS
    )
    assert not unknown, f"add these path parameters to PARAMETERS in {__file__}: {unknown}"


def test_walk_discovers_api_and_console_routes(app):
    rules = [rule.rule for rule in walked_rules(app)]
    assert any(rule.startswith("/api/v1/organisations/<") for rule in rules)
    assert any(rule.startswith("/console/organisations/<") for rule in rules)
    assert any(rule.startswith("/api/v1/cases/<") for rule in rules)
    assert any(rule.startswith("/console/cases/<") for rule in rules)
    assert len(rules) >= 10


@pytest.mark.parametrize("walk", list(WALKS), ids=[WALKS[w][0] for w in WALKS])
def test_no_route_shows_another_organisations_data(app, world, walk):
    who, other_key = WALKS[walk]
    other = world.sides[other_key]
    markers = _markers(other)
    _message_ids(other)  # made now, so the snapshot has the failed emails a resend would change
    before = _snapshot(other)
    client = app.test_client()
    sign_in(client, world.users[who], world.totp[who])
    assert _console_signed_in(client), "the walker could not sign in to the console"

    leaks: list[str] = []
    sent = 0
    for rule in walked_rules(app):
        for method in sorted(rule.methods or ()):
            for path, names_other_object in _paths(rule, other):
                response = _send(client, world, who, method, rule, path)
                sent += 1
                seen = response.get_data(as_text=True) + " " + response.headers.get("Location", "")
                shown = sorted(marker for marker in markers if marker in seen)
                if shown:
                    leaks.append(f"{method} {path} -> {response.status_code} shows {shown}")
                if names_other_object and 200 <= response.status_code < 300 and method != "OPTIONS":
                    leaks.append(f"{method} {path} -> {response.status_code} for the other side's object")
                if rule.rule.startswith("/console") and not _console_signed_in(client):
                    sign_in(client, world.users[who], world.totp[who])  # e.g. after walking sign-out
    assert not leaks, "\n".join(leaks)
    assert sent >= 20
    assert _snapshot(other) == before, "walking changed the other side's objects"


def _snapshot(side: Side) -> list[tuple[Any, ...]]:
    db.session.expire_all()
    rows: list[tuple[Any, ...]] = []
    for organisation in side.organisations:
        found = db.session.get(Organisation, organisation.id)
        rows.append((found.id, found.name, found.trust_id, found.dp_contact_email))
    for user in side.users:
        found = db.session.get(User, user.id)
        rows.append((found.id, found.email, found.is_active, found.password_hash, found.role))
    for token in side.tokens:
        found = db.session.get(ApiToken, token.id)
        rows.append((found.id, found.revoked_at, found.expires_at, found.name))
    for case in side.cases:
        found = db.session.get(Case, case.id)
        rows.append(
            (found.id, found.status, found.due_on, found.extended_on, len(found.pauses), len(found.events))
        )
        mail = select(OutboxMessage).where(OutboxMessage.case_id == case.id).order_by(OutboxMessage.id)
        rows.extend((message.id, message.status, message.attempts) for message in db.session.scalars(mail))
    return rows


def test_walk_table_values_are_real_ids(world):
    """Guards the table itself: foreign ids are well-formed UUIDs of rows
    (case references are well-formed references)."""
    for key, side in world.sides.items():
        for name, parameter in PARAMETERS.items():
            if parameter.names_other_object:
                for value in parameter.values(side):
                    if name == "reference":
                        assert looks_like_reference(value), value
                    else:
                        uuid.UUID(value)
        assert side.tokens, key
