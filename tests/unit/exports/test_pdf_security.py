"""Requester-typed text stays inert in the PDF, and the renderer fetches
nothing but the project's own print assets."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from jinja2 import UndefinedError

from app.exports.pdf import (
    ASSET_SCHEME,
    AssetFetcher,
    AssetRefused,
    pdf_environment,
    render_pack_html,
    render_pack_pdf,
    write_pdf,
)
from app.exports.pdf_values import inert, marked_text
from app.letters.services import TEMPLATE_ROOT, letter_environment

SCRIPT = "<script>alert('pwned')</script>"
IMG = '<img src="file:///etc/passwd"><img src="https://attacker.example/t.png">'
STYLE = "<style>@import url(https://attacker.example/x.css);</style><link rel=stylesheet href=http://x.example/a.css>"
JINJA = "{{ 7*7 }} {% include '/etc/passwd' %} {{ config.items() }}"
FILE_URL = "file:///etc/passwd"
RTL = "invoice\u202egnp.exe"
ZERO_WIDTH = "zero\u200bwidth"
LONG = "A" * 3000
LONG_URL = "https://example.com/" + "x" * 600
UNICODE = "Zoe\u0308 smiles 😀 and writes שלום"
HOSTILE_BODY = "\n".join([SCRIPT, IMG, STYLE, JINJA, FILE_URL, RTL, ZERO_WIDTH, LONG, LONG_URL, UNICODE])


@pytest.fixture(scope="module")
def hostile(kit: Any) -> Any:
    message = kit.message_item(1, HOSTILE_BODY, subject=SCRIPT)
    pack = kit.build_pack(
        attendance_years=1,
        messages=[message],
        requester_name="<b>Sam</b> {{ 7*7 }}",
        subject_name=f"Amelia {RTL}",
    )
    identity = pack.sections[0].items[0]
    hostile_identity = replace(identity, data={**identity.data, "legal_forename": IMG, "town": JINJA})
    sections = [replace(pack.sections[0], items=[hostile_identity]), *pack.sections[1:]]
    pack = replace(pack, sections=sections, organisation_contact_name="</p><h1>Fake heading</h1>")
    fetcher = kit.RecordingFetcher()
    pdf = kit.read_pdf(render_pack_pdf(pack, url_fetcher=fetcher), pack)
    pdf.fetched = fetcher.urls
    return pdf


def test_only_the_projects_own_assets_are_fetched(hostile: Any) -> None:
    assert hostile.fetched, "the stylesheet and fonts come through the fetcher"
    assert all(url.startswith(f"{ASSET_SCHEME}:") for url in hostile.fetched), hostile.fetched
    assert set(hostile.fetched) == {
        f"{ASSET_SCHEME}:pdf/print.css",
        f"{ASSET_SCHEME}:fonts/DejaVuSans.ttf",
        f"{ASSET_SCHEME}:fonts/DejaVuSans-Bold.ttf",
    }


def test_markup_and_template_syntax_print_as_literal_text(hostile: Any) -> None:
    text = hostile.text
    assert SCRIPT in text
    assert '<img src="file:///etc/passwd">' in text
    assert "@import url(https://attacker.example/x.css);" in text
    assert "{{ 7*7 }} {% include '/etc/passwd' %} {{ config.items() }}" in text
    assert "<b>Sam</b> {{ 7*7 }}" in text  # the requester's name, in the letter
    assert "Sam 49" not in text and "<b>Sam</b> 49" not in text
    assert "</p><h1>Fake heading</h1>" in text
    assert FILE_URL in text
    # The fake heading did not become a bookmark (or a heading).
    assert "Fake heading" not in [title for _, title in hostile.outline_titles()]


def test_unusual_unicode_is_shown_not_obeyed(hostile: Any) -> None:
    text = hostile.text
    assert "invoice[U+202E]gnp.exe" in text  # the override is shown, not applied
    assert "\u202e" not in text
    assert "Zoë smiles 😀" in text  # combining mark composed; emoji kept
    assert "שלום" in text or "םולש" in text  # Hebrew letters, in either extraction order
    assert "zero" in text and "width" in text


def test_long_unbroken_lines_wrap_inside_the_page(hostile: Any) -> None:
    with pdfplumber.open(io.BytesIO(hostile.rendered.data)) as pdf:
        for page in pdf.pages:
            right = max((char["x1"] for char in page.chars), default=0)
            assert right <= page.width - 40, f"text runs off page {page.page_number}"
    # Wrapped across lines (and pages: drop each page's header and footer
    # line), yet nothing is lost.
    bodies = "".join("".join(page.splitlines()[1:-1]) for page in hostile.pages)
    unwrapped = bodies.replace(" ", "")
    assert LONG in unwrapped and LONG_URL in unwrapped


def test_pack_html_escapes_everything(kit: Any) -> None:
    pack = kit.build_pack(messages=[kit.message_item(1, HOSTILE_BODY, subject=SCRIPT)], attendance_years=1)
    html = render_pack_html(pack)
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert "<img" not in html and "<style>@import" not in html
    assert "{{ 7*7 }}" in html  # data, never compiled as a template
    assert "\u202e" not in html


def test_value_helpers_never_return_markup_for_data() -> None:
    assert str(marked_text("<b>x</b> [redacted] y")) == (
        '&lt;b&gt;x&lt;/b&gt; <span class="redacted">[redacted]</span> y'
    )
    assert inert("a\u202eb\x00c\td\n") == "a[U+202E]b[U+0000]c\td\n"
    assert inert("Zoë 😀 שלום") == "Zoë 😀 שלום"


def test_environment_autoescapes_and_is_strict() -> None:
    env = pdf_environment()
    assert env is not letter_environment()
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    assert env.select_template(["response_pack.html"]).environment.autoescape("x.html") is True
    assert env.autoescape("print.css") is True
    with pytest.raises(UndefinedError):
        env.from_string("{{ missing }}").render()


def test_no_template_marks_anything_safe() -> None:
    for template in (TEMPLATE_ROOT / "pdf").glob("*.html"):
        source = template.read_text()
        assert "|safe" not in source.replace(" ", ""), template.name
        assert "autoescape" not in source, template.name


# --- the URL fetcher -----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file:///work/main/sar_templates/pdf/print.css",
        "http://example.com/print.css",
        "https://example.com/font.ttf",
        "data:text/css,body{color:red}",
        "data:font/ttf;base64,AAEAAAALAIAAAwAwT1MvMg==",
        "ftp://example.com/x.css",
        "javascript:alert(1)",
        f"{ASSET_SCHEME}:../app/config.py",
        f"{ASSET_SCHEME}:pdf/../../app/config.py",
        f"{ASSET_SCHEME}:pdf/../letters/_base.html",
        f"{ASSET_SCHEME}:/pdf/%2e%2e/%2e%2e/app/config.py",
        f"{ASSET_SCHEME}:pdf\\..\\..\\app\\config.py",
        f"{ASSET_SCHEME}:letters/_base.html",
        f"{ASSET_SCHEME}:pdf/response_pack.html",
        f"{ASSET_SCHEME}:pdf/missing.css",
        f"{ASSET_SCHEME}:pdf/print.css?x=1",
        f"{ASSET_SCHEME}:pdf/print.css\x00.ttf",
        f"{ASSET_SCHEME}:etc/passwd",
        f"{ASSET_SCHEME}:pdf",
        f"{ASSET_SCHEME.upper()}:pdf/print.css",
        "../letters/_base.html",
        "../../app/config.py",
        "/etc/passwd",
    ],
)
def test_fetcher_refuses_everything_but_print_assets(url: str) -> None:
    with pytest.raises(AssetRefused):
        AssetFetcher().fetch(url)


@pytest.mark.parametrize(
    ("url", "content_type"),
    [
        (f"{ASSET_SCHEME}:pdf/print.css", "text/css"),
        (f"{ASSET_SCHEME}:/pdf/print.css", "text/css"),
        (f"{ASSET_SCHEME}:fonts/DejaVuSans.ttf", "font/ttf"),
        ("print.css", "text/css"),  # relative to the templates' folder
    ],
)
def test_fetcher_serves_print_assets(url: str, content_type: str) -> None:
    response = AssetFetcher().fetch(url)
    assert response.content_type == content_type
    assert response.read()


def test_fetcher_refuses_a_symlink_out_of_its_folder(tmp_path: Path) -> None:
    (tmp_path / "pdf").mkdir()
    outside = tmp_path / "secret.css"
    outside.write_text("body { color: red }")
    (tmp_path / "pdf" / "evil.css").symlink_to(outside)
    (tmp_path / "pdf" / "good.css").write_text("p {}")
    fetcher = AssetFetcher(root=tmp_path)
    assert fetcher.fetch(f"{ASSET_SCHEME}:pdf/good.css").read() == b"p {}"
    with pytest.raises(AssetRefused):
        fetcher.fetch(f"{ASSET_SCHEME}:pdf/evil.css")


@pytest.mark.parametrize(
    "element",
    [
        '<img src="file:///etc/passwd" alt="">',
        '<img src="https://attacker.example/t.png" alt="">',
        '<link rel="stylesheet" href="http://attacker.example/x.css">',
        "<style>@import url(data:text/css,p{color:red});</style>",
        '<img src="../../app/config.py" alt="">',
    ],
)
def test_a_refused_fetch_stops_the_render(kit: Any, element: str) -> None:
    fetcher = kit.RecordingFetcher()
    html = f'<html lang="en-GB"><head><title>t</title></head><body><p>x</p>{element}</body></html>'
    with pytest.raises(AssetRefused):
        write_pdf(html, fetcher)
    assert fetcher.urls, "the URL reached our fetcher, which refused it (nothing else can fetch)"
