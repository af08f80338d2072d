"""The response pack PDF, read back as its reader would: the cover letter's
Art 15 information, page numbers, the running reference, bookmarks, tags,
metadata, the register grid and redactions."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from app.exports.pdf import render_pack_html, render_pack_pdf

REFERENCE = "SAR-2026-000417"


def cover_letter(pdf: Any) -> str:
    text = pdf.text
    return text[: text.index("Part 2: A copy of the personal data")]


def test_cover_letter_carries_every_article_15_item(pack_pdf: Any, kit: Any) -> None:
    letter = cover_letter(pack_pdf)
    content = pack_pdf.content
    assert content is not None
    # Art 15(1): confirmation that data is processed, and who is responsible.
    assert (
        "You asked for a copy of personal information (a subject access request) about Amelia Parent, "
        "as their parent or carer."
    ) in letter
    assert "We confirm that Oak Hill Primary School processes personal data about Amelia Parent" in letter
    assert "Oak Hill Primary School is the controller" in letter
    assert "as its processor" in letter
    assert "Pat Lead (dpo@oakhill.example)" in letter
    headings = [
        "Why the data is used (purposes)",  # (a)
        "The categories of personal data",  # (b)
        "Who the data is shared with (recipients)",  # (c)
        "How long the data is kept (retention)",  # (d)
        "Your rights to rectification, erasure, restriction and objection",  # (e)
        "Your right to complain to the ICO",  # (f)
        "Where the data came from (source)",  # (g)
        "Automated decision-making, including profiling",  # (h)
        "Transfers outside the UK and their safeguards",  # 15(2)
        "The systems we searched",
        "What we have withheld or redacted",
    ]
    for heading in headings:
        assert heading in letter, heading
    for right in ("right to rectification", "right to erasure", "right to restriction", "right to object"):
        assert right in letter
    assert "Information Commissioner's Office" in letter
    assert "ico.org.uk" in letter
    assert "0303 123 1113" in letter
    # Every category's own register facts, not a generic paragraph.
    for section in content.sections:
        facts = section.facts
        for value in [facts.title, facts.description, *facts.purposes, *facts.recipients]:
            assert kit.flat(value) in letter, value
        for value in (facts.retention, facts.origin, facts.automated_decisions, facts.transfers):
            assert kit.flat(value) in letter, value
        assert kit.flat(facts.lawful_basis) in letter
    for source in content.sources_searched:
        assert source.title in letter


def test_cover_letter_summarises_withheld_and_redacted_items_with_exemptions(pack_pdf: Any) -> None:
    letter = cover_letter(pack_pdf)
    assert "We have withheld 1 item and partly redacted 1 item" in letter
    assert "Likely to cause serious harm to physical or mental health (DPA 2018 Sch 3 Part 4" in letter
    assert "Information about another person (DPA 2018 Sch 2 para 16): 0 withheld, 1 redacted" in letter
    schedule = pack_pdf.text[pack_pdf.text.index("Part 3: Disclosure schedule") :]
    assert "Not shown: the item is withheld" in schedule
    # Table cells wrap, so their lines interleave in the extracted text.
    assert "Trip phone call Partly redacted Information about another" in schedule
    assert schedule.count("DPA 2018 Sch") == 2


def test_redacted_text_is_absent_and_marked(pack_pdf: Any, kit: Any) -> None:
    assert kit.SECRET not in pack_pdf.text
    assert "Jane Smith" not in pack_pdf.text
    assert "Please call [redacted] about the trip." in pack_pdf.text
    assert "Trip phone call (partly redacted)" in pack_pdf.text


def test_every_page_is_numbered_and_carries_the_reference(pack_pdf: Any) -> None:
    total = len(pack_pdf.pages)
    assert total == pack_pdf.rendered.pages > 3
    assert f"Page 1 of {total}" in pack_pdf.pages[0]
    for number, page in enumerate(pack_pdf.pages, start=1):
        assert f"Page {number} of {total}" in page
        assert f"Reference: {REFERENCE}" in page


def test_bookmarks_follow_parts_sections_and_items(pack_pdf: Any) -> None:
    outline = pack_pdf.outline_titles()
    content = pack_pdf.content
    assert content is not None
    top = [title for depth, title in outline if depth == 1]
    assert top == [
        "Part 1: Our response to your request",
        "Part 2: A copy of the personal data",
        "Part 3: Disclosure schedule",
    ]
    second = {title for depth, title in outline if depth == 2}
    assert {s.facts.title for s in content.sections} <= second
    assert "Your right to complain to the ICO" in second
    third = {title for depth, title in outline if depth == 3}
    assert {"Attendance 2019/2020", "Attendance 2020/2021", "Attendance 2021/2022"} <= third


def test_pdf_is_tagged_pdf_ua_with_metadata(pack_pdf: Any) -> None:
    root = pack_pdf.reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/StructTreeRoot"]["/K"], "the structure tree is empty"
    assert bool(root["/MarkInfo"]["/Marked"])  # a pypdf BooleanObject
    assert root["/Lang"] == "en-GB"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    info = pack_pdf.reader.metadata
    assert info is not None
    assert info.title == f"Response to your data protection request ({REFERENCE})"
    assert info.author == "Oak Hill Primary School"
    assert REFERENCE in (info.subject or "")
    assert "UK GDPR Article 15" in info["/Keywords"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfuaid:part="1"' in xmp
    assert pack_pdf.reader.pdf_header == "%PDF-1.7"


def test_structure_tree_has_headings_and_tables(pack_pdf: Any) -> None:
    kinds: set[str] = set()

    def walk(element: object, depth: int = 0) -> None:
        if depth > 40:
            return
        element = element.get_object() if hasattr(element, "get_object") else element
        if isinstance(element, dict):
            if "/S" in element:
                kinds.add(str(element["/S"]))
            children = element.get("/K")
            for child in children if isinstance(children, list) else [children]:
                if child is not None and not isinstance(child, int):
                    walk(child, depth + 1)

    walk(pack_pdf.reader.trailer["/Root"]["/StructTreeRoot"])
    assert {"/H1", "/H2", "/H3", "/Table", "/TR", "/TH", "/TD", "/P"} <= kinds


def test_attendance_is_a_register_grid_not_a_row_per_mark(kit: Any) -> None:
    years = 7
    content = kit.build_pack(attendance_years=years, messages=[])
    pdf = kit.read_pdf(render_pack_pdf(content), content)
    marks = sum(
        1
        for section in content.sections
        for item in section.items
        if item.category == "attendance"
        for week in item.data["weeks"]
        for code in week["sessions"]
        if code
    )
    assert marks > 2500
    register_pages = [page for page in pdf.pages if "Week beginning" in page]
    # A week to a row: about a page a year, where a row per mark would take
    # some sixty lines a page, over forty pages.
    assert len(register_pages) <= years + 2
    assert pdf.rendered.pages < marks / 100
    text = pdf.text
    assert "Week beginning Mon Tue Wed Thu Fri" in text
    assert text.count("Sessions recorded:") == years
    assert "2 Sep 2019" in text or "3 Sep 2019" in text or "9 Sep 2019" in text
    # The week rows hold the day's two marks: "/ \" for a day present.
    assert re.search(r"\d+ \w{3} \d{4} (/ \\ ){4}/ \\", text)
    assert "The attendance codes used" in text
    assert "Present (AM)" in text and "Illness" in text


def test_empty_pack_confirms_no_data_and_still_tags(kit: Any) -> None:
    pack = kit.build_pack(messages=[])
    empty = replace(pack, sections=[], schedule=[], withheld_count=0, redacted_count=0)
    pdf = kit.read_pdf(render_pack_pdf(empty), empty)
    assert "does not process any personal data about Amelia Parent" in pdf.text
    assert "There is no personal data to show." in pdf.text
    assert "We have not withheld or redacted anything" in pdf.text
    assert "/StructTreeRoot" in pdf.reader.trailer["/Root"]


def test_pack_html_is_escaped_and_links_only_the_stylesheet(kit: Any) -> None:
    html = render_pack_html(kit.build_pack(attendance_years=1))
    assert html.count("<link ") == 1
    assert 'href="rightsdesk-asset:pdf/print.css"' in html
    assert "<script" not in html and "<img" not in html


def test_cover_letter_names_the_processor_when_configured(kit: Any) -> None:
    pack = kit.build_pack(attendance_years=1)
    named = render_pack_html(replace(pack, processor="Example Software Ltd, 1 High Street, Leeds LS1 1AA"))
    assert (
        "Example Software Ltd, 1 High Street, Leeds LS1 1AA, the school's education software provider, "
        "holds and processes the data on the school's behalf, as its processor"
    ) in " ".join(named.split())
    unnamed = " ".join(render_pack_html(replace(pack, processor="")).split())
    assert "The school's education software provider holds and processes the data" in unnamed
    # Typed into the environment, so escaped like everything else.
    marked = render_pack_html(replace(pack, processor="<b>Example</b> & Co"))
    assert "&lt;b&gt;Example&lt;/b&gt; &amp; Co" in marked and "<b>Example" not in marked
