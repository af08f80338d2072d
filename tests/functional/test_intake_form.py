"""The public request form over HTTP: accessible markup, errors linked to
fields, values kept, honeypot, CSRF, rate limit, and school search without
JavaScript."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from app import create_app
from app.cases.models import Case, CaseStatus
from app.extensions import db
from tests.conftest import environ_for_tests
from tests.signin import csrf_token, make_organisation

FORM = "/"


class Page(HTMLParser):
    """Collects ids, labels' targets, inputs and links from a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.label_for: set[str] = set()
        self.inputs: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "label" and attributes.get("for"):
            self.label_for.add(attributes["for"])
        if tag in ("input", "textarea", "select"):
            self.inputs.append({"tag": tag, **attributes})
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])


@pytest.fixture
def school(db_session):
    school = make_organisation("Oak Hill Primary School")
    school.urn = "100001"
    make_organisation("Oak Hill Academy Trust", kind="trust")
    make_organisation("Oakfield Nursery", kind="nursery")
    make_organisation("Elm Tree Primary School")
    db_session.commit()
    return school


def good_form(school, **changes) -> dict[str, str]:
    form = {
        "request_type": "access",
        "requester_relationship": "parent_carer",
        "organisation_id": str(school.id),
        "subject_first_name": "Alex",
        "subject_last_name": "Example",
        "subject_date_of_birth-day": "27",
        "subject_date_of_birth-month": "3",
        "subject_date_of_birth-year": "2014",
        "subject_role": "pupil",
        "subject_upn": "",
        "subject_staff_number": "",
        "description": "Everything about my child's attendance and behaviour records.",
        "requester_name": "Sam Example",
        "requester_email": "sam@example.com",
        "requester_phone": "",
        "website": "",
    }
    form.update(changes)
    return form


def post(client, form):
    return client.post(FORM, data={**form, "csrf_token": csrf_token(client, FORM)})


def test_request_form_renders_every_input_with_a_label(client, school):
    response = client.get(FORM)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = Page(response.text)
    visible = [
        field
        for field in page.inputs
        if field.get("type") not in ("hidden",) and field.get("name") not in ("website",)
    ]
    assert len(visible) > 20
    for field in visible:
        assert field["id"] in page.label_for, f"no label for {field['id']}"
    assert 'name="csrf_token"' in response.text
    assert "<script>" not in response.text  # only the external file, CSP allows no inline script


def test_blank_request_form_is_the_page_a_fresh_render_gives(app, client, school):
    # The blank form is rendered once per process and only its CSRF token
    # put in per request; it must be the very page rendering gives.
    def page() -> str:
        response = client.get(FORM)
        assert response.status_code == 200
        return re.sub(r'name="csrf_token" value="[^"]+"', "TOKEN", response.text)

    cached, again = page(), page()
    app.jinja_env.auto_reload = True  # templates may change: rendered every time
    assert cached == again == page()
    assert cached.count("TOKEN") == 1


def test_blank_request_form_keeps_each_mount_path_apart(client, school):
    # Links depend on where the app is mounted (SCRIPT_NAME); one mount's
    # page must never be served for another's.
    mounted = client.get(FORM, base_url="http://localhost/elsewhere").text
    assert 'action="/elsewhere/"' in mounted
    plain = client.get(FORM).text
    assert 'action="/"' in plain and "/elsewhere" not in plain


def test_request_form_honeypot_is_hidden_from_people_and_screen_readers(client, school):
    html = client.get(FORM).text
    honeypot = re.search(r'<div class="hp" aria-hidden="true">.*?</div>', html, re.S)
    assert honeypot and 'tabindex="-1"' in honeypot.group(0) and 'autocomplete="off"' in honeypot.group(0)


def test_request_form_with_school_chosen_shows_its_name(client, school):
    response = client.get(f"{FORM}?organisation_id={school.id}")
    assert "Oak Hill Primary School" in response.text
    assert f'name="organisation_id" value="{school.id}"' in response.text


def test_request_form_ignores_a_trust_or_unknown_school_in_the_link(client, school):
    trust = db.session.scalar(select(type(school)).where(type(school).kind == "trust"))
    for value in (str(trust.id), "not-a-uuid"):
        response = client.get(f"{FORM}?organisation_id={value}")
        assert response.status_code == 200 and 'id="school_query"' in response.text


def test_submit_creates_a_case_and_redirects_to_the_code_page(client, school, db_session):
    response = post(client, good_form(school, requester_phone="07700 900 982"))
    [case] = db_session.scalars(select(Case)).all()
    assert response.status_code == 302 and response.headers["Location"] == f"/request/{case.id}/confirm"
    assert case.status is CaseStatus.SUBMITTED and case.subject_name == "Alex Example"
    assert case.organisation_id == school.id and case.subject_dob == "2014-03-27"
    assert case.requester_phone == "07700 900 982"
    assert "Check your email" in client.get(response.headers["Location"]).text


def test_submit_with_errors_rerenders_with_summary_linked_to_fields(client, school, db_session):
    form = good_form(
        school,
        request_type="",
        requester_email="sam.example.com",
        **{"subject_date_of_birth-month": ""},
        subject_upn="A123",
    )
    response = post(client, form)
    assert response.status_code == 200
    html = response.text
    assert "There is a problem" in html and 'role="alert"' in html
    page = Page(html)
    summary_links = [link for link in page.links if link.startswith("#") and link != "#main"]
    assert summary_links == [
        "#request_type",
        "#subject_date_of_birth-month",
        "#subject_upn",
        "#requester_email",
    ]
    for link in summary_links:
        assert link[1:] in page.ids
    assert "Enter your email address in the correct format, like name@example.com" in html
    assert "Date of birth must include a month" in html
    highlighted = re.findall(
        r'class="input input--width-\d input--error"\s+id="subject_date_of_birth-(\w+)"', html
    )
    assert highlighted == ["month"]
    assert "Enter a unique pupil number in the correct format, like B801200005001" in html
    assert 'aria-describedby="requester_email-hint requester_email-error"' in html
    assert db_session.scalars(select(Case)).all() == []


def test_accented_letters_before_the_at_get_the_summary_not_a_500(client, school, db_session):
    response = post(client, good_form(school, requester_email="zoë@example.org"))
    assert response.status_code == 200
    html = response.text
    assert "There is a problem" in html
    assert 'href="#requester_email"' in html
    assert "only English letters, numbers and symbols before the @" in html
    assert 'value="zoë@example.org"' in html
    assert db_session.scalars(select(Case)).all() == []


def test_submit_with_errors_keeps_what_was_typed_escaped(client, school):
    form = good_form(school, requester_email="", description="<script>alert(1)</script> my records")
    html = post(client, form).text
    assert 'value="Alex"' in html and 'value="27"' in html and 'value="2014"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; my records" in html and "<script>alert" not in html
    assert re.search(r'id="requester_relationship-2"[^>]*value="parent_carer" checked', html)
    assert f'name="organisation_id" value="{school.id}"' in html


def test_submit_with_honeypot_filled_stores_nothing_but_looks_fine(client, school, db_session):
    response = post(client, good_form(school, website="http://spam.example"))
    assert response.status_code == 302 and response.headers["Location"] == "/request/sent"
    assert db_session.scalars(select(Case)).all() == []


def test_submit_without_csrf_token_is_refused(client, school, db_session):
    response = client.post(FORM, data=good_form(school))
    assert response.status_code == 400
    assert db_session.scalars(select(Case)).all() == []


def test_submit_finds_the_school_by_typed_name_when_one_matches(client, school, db_session):
    form = good_form(school, organisation_id="", school_query="elm tree")
    assert post(client, form).status_code == 302
    [case] = db_session.scalars(select(Case)).all()
    assert case.organisation.name == "Elm Tree Primary School"


def test_submit_offers_a_choice_when_several_schools_match(client, school, db_session):
    html = post(client, good_form(school, organisation_id="", school_query="oak")).text
    assert "Select the school or nursery from the list" in html and 'href="#organisation_id"' in html
    assert "Oak Hill Primary School" in html and "Oakfield Nursery" in html
    assert "Oak Hill Academy Trust" not in html  # trusts are not offered
    assert db_session.scalars(select(Case)).all() == []


def test_submit_explains_when_no_school_matches_or_none_typed(client, school):
    html = post(client, good_form(school, organisation_id="", school_query="Birch")).text
    assert "No school or nursery called &#39;Birch&#39; was found" in html and 'href="#school_query"' in html
    html = post(client, good_form(school, organisation_id="")).text
    assert "Enter the name of the school or nursery" in html


def _limited_after_two_requests(client, school) -> None:
    """With a limit of 2 an hour: mistakes do not count, two requests do,
    and a third is refused with the form, what was typed and the wait."""
    bad = good_form(school, requester_email="")
    for _ in range(3):
        assert post(client, bad).status_code == 200  # corrected and sent again: not another request
    assert post(client, good_form(school)).status_code == 302
    assert post(client, good_form(school)).status_code == 302
    refused = post(client, good_form(school, description="A third request, typed in full."))
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 3000
    summary = refused.text.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "Too many requests have been sent from your network in the last hour." in summary
    assert re.search(r"Try again in (59|60) minutes\.", summary)
    assert "A third request, typed in full." in refused.text  # kept
    assert refused.headers["Cache-Control"] == "no-store"


def test_submit_is_rate_limited_per_ip(app, client, school):
    app.config["LIMIT_INTAKE_IP"] = "2 per hour"
    _limited_after_two_requests(client, school)


def test_submit_is_rate_limited_in_memory_when_redis_is_down(app, school, tmp_path):
    # The limit is checked by the view's own decorator (the limiter's
    # per-request hook is dropped), which also falls back to memory.
    environ = environ_for_tests(
        app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, REDIS_URL="redis://127.0.0.1:9/0"
    )
    down = create_app(environ)
    down.config["LIMIT_INTAKE_IP"] = "2 per hour"
    _limited_after_two_requests(down.test_client(), school)


def test_school_search_lists_matches_as_radios_without_javascript(client, school):
    response = client.get("/request/schools?q=oak")
    assert response.status_code == 200
    html = response.text
    assert 'type="radio"' in html and "Oak Hill Primary School" in html and "URN 100001" in html
    assert "Oakfield Nursery" in html and "Oak Hill Academy Trust" not in html and "Elm Tree" not in html
    assert 'action="/request/schools/choose"' in html and 'method="get"' in html


def test_school_search_explains_too_short_or_no_match(client, school):
    assert "Enter at least 2 letters" in client.get("/request/schools?q=o").text
    assert "was found" in client.get("/request/schools?q=zzz").text
    first = client.get("/request/schools")
    assert first.status_code == 200 and "There is a problem" not in first.text


def test_school_search_matches_urn_and_treats_wildcards_literally(client, school):
    assert "Oak Hill Primary School" in client.get("/request/schools?q=100001").text
    assert 'type="radio"' not in client.get("/request/schools?q=%25%25").text


def test_choose_school_goes_to_the_form_or_back_to_the_list(client, school):
    chosen = client.get(f"/request/schools/choose?organisation_id={school.id}&q=oak")
    assert chosen.status_code == 302 and chosen.headers["Location"] == f"/?organisation_id={school.id}"
    unchosen = client.get("/request/schools/choose?q=oak")
    assert unchosen.status_code == 302
    again = client.get(unchosen.headers["Location"])
    assert "Select the school or nursery from the list" in again.text
