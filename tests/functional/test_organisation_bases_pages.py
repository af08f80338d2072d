"""An organisation's own lawful basis in the console: the organisation page
says which basis applies to each category and whose it is (the register's,
the trust's or the organisation's own); administrators set and clear it,
everyone else who sees the organisation reads it."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from sqlalchemy import select

from app.accounts.models import Role, User
from app.audit.models import AuditEvent
from app.extensions import db
from app.orgs.models import Organisation
from app.register.bases import set_basis
from app.register.models import LawfulBasis, OrganisationBasis, RegisterEntry
from tests.signin import csrf_token, make_organisation, make_user, sign_in

TRUST_WORDING = "Legal obligation (UK GDPR Art 6(1)(c)): the trust's duty to keep attendance registers."
OWN_WORDING = "Contract (UK GDPR Art 6(1)(b)): the school's contract with the parents."


def _entry(source: str, category: str) -> RegisterEntry:
    return db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.source == source, RegisterEntry.category == category)
    ).one()


class Estate:
    """A trust with one school, a standalone school, and an administrator."""

    def __init__(self) -> None:
        self.trust = make_organisation("Birch Learning Trust", kind="trust")
        self.school = make_organisation("Birch Primary", trust=self.trust)
        self.alder = make_organisation("Alder Academy")
        self.admin, self.admin_secret = make_user("ada@company.example", Role.ADMIN)

    def basis(self, organisation: Organisation, entry: RegisterEntry, basis: str, wording: str) -> None:
        assert set_basis(organisation, entry, {"basis": basis, "lawful_basis": wording}, self.admin)
        db.session.commit()


@pytest.fixture
def estate(db_session) -> Estate:
    return Estate()


def _client(app, user: User, secret: str | None):
    assert secret is not None
    client = app.test_client()
    sign_in(client, user, secret)
    return client


def _admin(app, estate: Estate):
    return _client(app, estate.admin, estate.admin_secret)


def _school_user(app, organisation: Organisation):
    return _client(
        app,
        *make_user(f"staff@{organisation.name.lower().replace(' ', '-')}.example", Role.SCHOOL, organisation),
    )


def _path(organisation: Organisation, entry: RegisterEntry) -> str:
    return f"/console/organisations/{organisation.id}/bases/{entry.id}"


def _row(page: str, title: str) -> str:
    """The table row of the category titled ``title``, tags stripped."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.DOTALL):
        if f">{title}</a>" in row:
            return " ".join(re.sub(r"<[^>]+>", " ", row).split())
    raise AssertionError(f"no row for {title}")


def _own(organisation: Organisation, entry: RegisterEntry) -> OrganisationBasis | None:
    db.session.expire_all()
    return db.session.scalars(
        select(OrganisationBasis).where(
            OrganisationBasis.organisation_id == organisation.id,
            OrganisationBasis.register_entry_id == entry.id,
        )
    ).first()


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_organisation_page_shows_each_categorys_basis_when_set_by_register_trust_and_school(app, estate):
    attendance, identity = _entry("pupils", "attendance"), _entry("contacts", "identity")
    estate.basis(estate.trust, attendance, "legal_obligation", TRUST_WORDING)
    estate.basis(estate.school, identity, "contract", OWN_WORDING)
    client = _school_user(app, estate.school)
    page = client.get(f"/console/organisations/{estate.school.id}").get_data(as_text=True)
    assert "<h2" in page and "Lawful basis at this organisation" in page
    assert 'class="table-wrap" role="region"' in page and '<th scope="col">Set by</th>' in page
    assert (
        _row(page, "Attendance")
        == "Attendance Legal obligation (Article 6(1)(c)) The trust (Birch Learning Trust)"
    )
    assert _row(page, "Contact details of parents and carers").endswith("Contract (Article 6(1)(b)) Set here")
    assert _row(page, "Assessments") == "Assessments Public task (Article 6(1)(e)) The register"
    assert f'href="{_path(estate.school, attendance)}"' in page
    assert page.count("<tr>") == 1 + len(db.session.scalars(select(RegisterEntry.id)).all())


def test_admin_sets_the_basis_through_the_form_when_valid(app, estate):
    client = _admin(app, estate)
    entry = _entry("pupils", "attendance")
    path = _path(estate.school, entry)
    form = client.get(path).get_data(as_text=True)
    assert '<option value="public_task" selected>' in form and "Use the" not in form
    data = {"basis": "contract", "lawful_basis": OWN_WORDING, "csrf_token": csrf_token(client, path)}
    response = client.post(path, data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(path)
    own = _own(estate.school, entry)
    assert own is not None and own.basis is LawfulBasis.CONTRACT and own.lawful_basis == OWN_WORDING
    shown = client.get(path).get_data(as_text=True)
    assert "Lawful basis saved for Birch Primary." in shown and "Set here" in shown
    # The school is in a trust, but the trust set nothing for attendance.
    assert "Use the register&#39;s basis" in shown and "Use the trust" not in shown
    [event] = _events("register.basis_set")
    assert event.object_id == estate.school.id and event.actor_id == estate.admin.id
    assert event.data["basis"] == "contract" and OWN_WORDING not in str(event.data)
    again = client.post(path, data=data | {"csrf_token": csrf_token(client, path)})
    assert again.status_code == 302 and "Nothing was changed." in client.get(path).get_data(as_text=True)
    assert len(_events("register.basis_set")) == 1


def test_admin_form_shows_the_summary_and_keeps_the_values_when_fields_are_missing(app, estate):
    client = _admin(app, estate)
    entry = _entry("pupils", "attendance")
    path = _path(estate.school, entry)
    response = client.post(
        path, data={"basis": "", "lawful_basis": "  ", "csrf_token": csrf_token(client, path)}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page and 'href="#basis"' in page and 'href="#lawful_basis"' in page
    assert "Choose the Article 6(1) basis" in page and "Enter some text" in page
    kept = client.post(
        path,
        data={"basis": "", "lawful_basis": "Our <b>own</b> words", "csrf_token": csrf_token(client, path)},
    )
    assert kept.status_code == 422 and "Our &lt;b&gt;own&lt;/b&gt; words" in kept.get_data(as_text=True)
    assert _own(estate.school, entry) is None and not _events("register.basis_set")


def test_admin_form_refuses_wording_when_it_cites_another_basis(app, estate):
    client = _admin(app, estate)
    entry = _entry("pupils", "attendance")
    path = _path(estate.school, entry)
    data = {"basis": "consent", "lawful_basis": OWN_WORDING, "csrf_token": csrf_token(client, path)}
    response = client.post(path, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#lawful_basis"' in page and "but the basis chosen is Consent (Article 6(1)(a))" in page
    assert '<option value="consent" selected>' in page
    assert _own(estate.school, entry) is None


def test_admin_form_is_400_and_stores_nothing_when_the_form_expired(app, estate):
    client = _admin(app, estate)
    entry = _entry("pupils", "attendance")
    response = client.post(
        _path(estate.school, entry), data={"basis": "contract", "lawful_basis": OWN_WORDING}
    )
    assert response.status_code == 400 and "The form could not be sent" in response.get_data(as_text=True)
    assert _own(estate.school, entry) is None


def test_clearing_is_400_and_keeps_the_schools_basis_when_the_form_expired(app, estate):
    entry = _entry("pupils", "attendance")
    estate.basis(estate.school, entry, "contract", OWN_WORDING)
    client = _admin(app, estate)
    for data in ({}, {"csrf_token": "stale"}):
        response = client.post(f"{_path(estate.school, entry)}/clear", data=data)
        # The application's CSRF page, the same for every form.
        assert response.status_code == 400 and "The form could not be sent" in response.get_data(as_text=True)
    db.session.expire_all()
    assert _own(estate.school, entry) is not None and not _events("register.basis_cleared")


def test_clearing_goes_back_to_the_trusts_basis_when_the_school_had_its_own(app, estate):
    entry = _entry("pupils", "attendance")
    estate.basis(estate.trust, entry, "legal_obligation", TRUST_WORDING)
    estate.basis(estate.school, entry, "contract", OWN_WORDING)
    client = _admin(app, estate)
    path = _path(estate.school, entry)
    token = csrf_token(client, path)
    response = client.post(f"{path}/clear", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(path)
    assert _own(estate.school, entry) is None
    page = client.get(path).get_data(as_text=True)
    assert "Birch Primary now uses its trust&#39;s basis." in page
    assert "The trust (Birch Learning Trust)" in page and "Legal obligation (Article 6(1)(c))" in page
    assert "/clear" not in page  # nothing of its own left to clear
    [event] = _events("register.basis_cleared")
    assert event.object_id == estate.school.id and event.data["category"] == "attendance"
    again = client.post(f"{path}/clear", data={"csrf_token": token})
    assert again.status_code == 302 and "Nothing was changed." in client.get(path).get_data(as_text=True)


def test_clear_button_offers_the_registers_basis_when_not_in_a_trust(app, estate):
    entry = _entry("pupils", "attendance")
    estate.basis(estate.alder, entry, "contract", OWN_WORDING)
    page = _admin(app, estate).get(_path(estate.alder, entry)).get_data(as_text=True)
    assert "Use the register&#39;s basis" in page and "Use the trust" not in page


def test_school_user_reads_the_basis_without_forms_and_is_refused_changes(app, estate):
    entry = _entry("pupils", "attendance")
    estate.basis(estate.school, entry, "contract", OWN_WORDING)
    client = _school_user(app, estate.trust)  # a trust's user sees its schools
    path = _path(estate.school, entry)
    page = client.get(path)
    assert page.status_code == 200
    main = page.get_data(as_text=True).split("<main", 1)[1]
    assert "<form" not in main and OWN_WORDING.replace("'", "&#39;") in main and "Set here" in main
    token = csrf_token(client, "/console/account")
    refused = client.post(path, data={"basis": "consent", "lawful_basis": "Consent.", "csrf_token": token})
    assert refused.status_code == 403
    assert client.post(f"{path}/clear", data={"csrf_token": token}).status_code == 403
    own = _own(estate.school, entry)
    assert own is not None and own.basis is LawfulBasis.CONTRACT


def test_basis_page_is_404_when_out_of_scope_or_unknown(app, estate):
    entry = _entry("pupils", "attendance")
    outsider = _school_user(app, estate.alder)
    assert outsider.get(_path(estate.school, entry)).status_code == 404
    assert outsider.get(f"/console/organisations/{estate.school.id}/bases/{uuid.uuid4()}").status_code == 404
    admin = _admin(app, estate)
    assert admin.get(f"/console/organisations/{uuid.uuid4()}/bases/{entry.id}").status_code == 404
    assert admin.get(f"/console/organisations/{estate.school.id}/bases/{uuid.uuid4()}").status_code == 404
    token = csrf_token(admin, "/console/account")
    unknown = admin.post(
        f"/console/organisations/{uuid.uuid4()}/bases/{entry.id}",
        data={"basis": "contract", "lawful_basis": OWN_WORDING, "csrf_token": token},
    )
    assert unknown.status_code == 404
    assert db.session.scalars(select(OrganisationBasis)).first() is None


def _as_shown(page: str) -> dict[str, str]:
    """The set form's values as the page fills them in, as a browser sends
    them (a textarea's line breaks as CRLF)."""
    chosen = re.search(r'<option value="([a-z_]+)" selected>', page)
    wording = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.DOTALL)
    assert chosen and wording
    return {"basis": chosen.group(1), "lawful_basis": html.unescape(wording.group(1)).replace("\n", "\r\n")}


def test_saving_unchanged_stores_nothing_when_the_row_is_inherited_from_the_trust(app, estate):
    entry = _entry("pupils", "attendance")
    estate.basis(estate.trust, entry, "legal_obligation", TRUST_WORDING + "\nRegisters are kept by law.")
    client = _admin(app, estate)
    path = _path(estate.school, entry)
    data = _as_shown(client.get(path).get_data(as_text=True))
    response = client.post(path, data=data | {"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302 and _own(estate.school, entry) is None
    page = client.get(path).get_data(as_text=True)
    assert "Nothing was changed: Birch Primary still uses its trust&#39;s basis." in page
    assert "The trust (Birch Learning Trust)" in page and "/clear" not in page
    assert len(_events("register.basis_set")) == 1  # the trust's own, not the school's
    # The trust's later change still reaches the school.
    estate.basis(estate.trust, entry, "public_task", "Public task (Art 6(1)(e)): the trust's schools.")
    assert "Public task (Article 6(1)(e))" in client.get(path).get_data(as_text=True)


def test_saving_unchanged_stores_nothing_when_the_row_is_the_registers(app, estate):
    entry = _entry("pupils", "attendance")
    client = _admin(app, estate)
    path = _path(estate.alder, entry)
    data = _as_shown(client.get(path).get_data(as_text=True))
    assert client.post(path, data=data | {"csrf_token": csrf_token(client, path)}).status_code == 302
    assert _own(estate.alder, entry) is None and not _events("register.basis_set")
    page = client.get(path).get_data(as_text=True)
    assert "Nothing was changed: Alder Academy still uses the register&#39;s basis." in page


def test_saving_clears_the_schools_own_basis_when_it_equals_the_trusts(app, estate):
    entry = _entry("pupils", "attendance")
    estate.basis(estate.school, entry, "contract", OWN_WORDING)
    estate.basis(estate.trust, entry, "contract", OWN_WORDING)
    client = _admin(app, estate)
    path = _path(estate.school, entry)
    data = {"basis": "contract", "lawful_basis": OWN_WORDING, "csrf_token": csrf_token(client, path)}
    assert client.post(path, data=data).status_code == 302
    assert _own(estate.school, entry) is None
    assert "Birch Primary now uses its trust&#39;s basis." in client.get(path).get_data(as_text=True)
    [event] = _events("register.basis_cleared")
    assert event.object_id == estate.school.id
