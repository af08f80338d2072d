"""The GOV.UK-style form macros in templates/macros/forms.html: every control
has a label, and hint and error are tied to it with aria-describedby."""

from __future__ import annotations

import pytest


@pytest.fixture
def render(app):
    def _render(call: str, **context) -> str:
        source = '{% import "macros/forms.html" as f %}' + call
        with app.test_request_context():
            return app.jinja_env.from_string(source).render(**context)

    return _render


def test_error_summary_links_each_message_to_its_field(render):
    html = render(
        "{{ f.error_summary(errors) }}", errors=[("email", "Enter your email"), ("dob-day", "<b>x</b>")]
    )
    assert 'role="alert"' in html and 'tabindex="-1"' in html
    assert '<a href="#email">Enter your email</a>' in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert render("{{ f.error_summary([]) }}").strip() == ""


def test_text_input_with_hint_and_error(render):
    html = render(
        '{{ f.text_input("name", "Full name", "<Jo>", hint="As on your passport", error="Enter your name") }}'
    )
    assert '<label class="label" for="name">Full name</label>' in html
    assert 'id="name-hint"' in html and 'id="name-error"' in html
    assert 'aria-describedby="name-hint name-error"' in html and 'value="&lt;Jo&gt;"' in html
    assert "form-group--error" in html and "input--error" in html


def test_text_input_without_hint_or_error_has_no_describedby(render):
    html = render('{{ f.text_input("name", "Full name") }}')
    assert "aria-describedby" not in html and "form-group--error" not in html


def test_email_input_sets_type_and_autocomplete(render):
    html = render('{{ f.email_input("email", "Email") }}')
    assert 'type="email"' in html and 'autocomplete="email"' in html and 'spellcheck="false"' in html


def test_date_input_has_three_labelled_boxes_in_a_fieldset(render):
    html = render(
        '{{ f.date_input("dob", "Date of birth", {"day": "1", "month": "", "year": "2014"}, '
        'hint="For example, 27 3 2012", error="Date of birth must include a month", error_parts=["month"]) }}'
    )
    assert '<fieldset class="fieldset" role="group" aria-describedby="dob-hint dob-error">' in html
    assert "<legend" in html
    for part in ("day", "month", "year"):
        assert f'<label class="date-input__label" for="dob-{part}">' in html and f'id="dob-{part}"' in html
    assert html.count("input--error") == 1 and 'inputmode="numeric"' in html


def test_radios_first_item_takes_the_group_id_and_hints_are_described(render):
    items = [{"value": "a", "label": "Apple", "hint": "Crunchy"}, {"value": "b", "label": "Banana"}]
    html = render('{{ f.radios("fruit", "Pick one", items, "b", error="Select a fruit") }}', items=items)
    assert 'id="fruit"' in html and 'id="fruit-2"' in html
    assert 'for="fruit"' in html and 'for="fruit-2"' in html
    assert 'aria-describedby="fruit-item-hint"' in html
    assert 'value="b" checked' in html and 'value="a" checked' not in html
    assert 'aria-describedby="fruit-error"' in html


def test_select_marks_the_chosen_option(render):
    html = render('{{ f.select("nation", "Nation", [("", "Choose"), ("england", "England")], "england") }}')
    assert '<label class="label" for="nation">' in html and '<option value="england" selected>' in html


def test_textarea_with_character_count_works_without_javascript(render):
    html = render(
        '{{ f.textarea("what", "What do you want?", "hi", hint="In your words", max_length=5000) }}'
    )
    assert 'data-module="character-count"' in html and 'data-maxlength="5000"' in html
    assert "You can enter up to 5,000 characters" in html
    assert 'aria-describedby="what-hint what-info"' in html and " maxlength=" not in html
    assert ">hi</textarea>" in html


def test_file_upload_has_label_accept_and_error(render):
    html = render(
        '{{ f.file_upload("evidence", "Upload a file", hint="PDF, JPG or PNG", '
        'error="The file must be smaller than 10 MB", accept=".pdf,.jpg,.jpeg,.png") }}'
    )
    assert 'type="file"' in html and 'for="evidence"' in html and 'accept=".pdf,.jpg,.jpeg,.png"' in html
    assert 'aria-describedby="evidence-hint evidence-error"' in html
