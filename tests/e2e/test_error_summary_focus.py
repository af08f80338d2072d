"""The error summary's links, followed from the keyboard in a real browser:
each moves focus to its field with the field's label (a date's legend) in
view above it, so the question and its error message can be read; without
JavaScript they stay ordinary links to the field."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ACTION_TIMEOUT_MS

pytestmark = pytest.mark.e2e

# The top of the box of `selector`, relative to the window (negative: above it).
TOP = "selector => document.querySelector(selector).getBoundingClientRect().top"


def _submit_empty(page, live_server: str) -> None:
    page.goto(f"{live_server}/")
    page.focus("form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".error-summary")
    # The summary's script (forms.js) attaches its click handler once the page
    # has loaded; a link followed before that jumps to the field itself, the
    # browser's default, with its label above the window.
    page.wait_for_load_state("load")


def _follow(page, field_id: str) -> None:
    """Tab-style: focus the summary's link to the field and press Enter."""
    page.focus(f'.error-summary a[href="#{field_id}"]')
    page.keyboard.press("Enter")


def _in_view(page, selector: str) -> float:
    top = page.evaluate(TOP, selector)
    height = page.evaluate("() => window.innerHeight")
    assert 0 <= top < height, f"{selector} is not in view (top {top}, window {height})"
    return top


@pytest.mark.parametrize(
    ("field_id", "error_id", "label"),
    [
        # A date's link is to its (first faulty) part; its question is the legend.
        (
            "subject_date_of_birth-day",
            "subject_date_of_birth-error",
            "fieldset:has(#subject_date_of_birth-day) > legend",
        ),
        ("subject_first_name", "subject_first_name-error", 'label[for="subject_first_name"]'),
        ("requester_email", "requester_email-error", 'label[for="requester_email"]'),
        # A radio's question is its fieldset's legend.
        ("subject_role", "subject_role-error", "fieldset:has(#subject_role) > legend"),
    ],
)
def test_a_summary_link_focuses_the_field_with_its_label_in_view(
    app, live_server, page, field_id, error_id, label
):
    _submit_empty(page, live_server)
    _follow(page, field_id)
    page.wait_for_function("id => document.activeElement && document.activeElement.id === id", arg=field_id)
    label_top = _in_view(page, label)
    # The error message (between the label and the field) is in view too.
    error_top = _in_view(page, f"#{error_id}")
    field_top = _in_view(page, f"#{field_id}")
    assert label_top <= error_top <= field_top


def test_without_javascript_the_summary_links_still_lead_to_the_fields(app, live_server, browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1100, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(ACTION_TIMEOUT_MS)
        _submit_empty(page, live_server)
        links = page.eval_on_selector_all(
            ".error-summary a", "links => links.map(a => a.getAttribute('href'))"
        )
        assert "#subject_date_of_birth-day" in links and "#subject_first_name" in links
        _follow(page, "subject_first_name")
        page.wait_for_url("**/#subject_first_name")
        _in_view(page, "#subject_first_name")
    finally:
        context.close()
