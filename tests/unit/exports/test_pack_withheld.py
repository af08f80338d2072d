"""A category whose every item is withheld still gets its Art 15(1) facts
in the cover letter (the exemption covers the copy, not the information
about it), read back from the real PDF; it still needs a register entry."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from app.accounts.models import Role
from app.cases import lifecycle
from app.cases.models import Case, CaseStatus
from app.collect.models import CollectedItem
from app.exports.content import build_pack_content, content_as_json
from app.exports.package import package_files
from app.exports.pdf import render_pack_pdf
from app.extensions import db
from app.register.models import RegisterEntry
from app.review.exemptions import Exemption
from app.review.models import Action, ItemDecision
from tests.unit.api.estate import make_user
from tests.unit.exports.factory import decide_all, gathered_case
from tests.unit.sources.factories import build_world

WITHHELD = ("correspondence", "correspondence")


@pytest.fixture
def case(app, db_session) -> Case:
    app.config["REDIS_URL"] = None  # jobs inline (CI also runs with REDIS_URL set)
    world = build_world(db_session)
    actor = make_user("case.worker@rightsdesk.example", Role.CASEWORKER)
    db_session.commit()
    case = gathered_case(world, actor)
    decide_all(case, actor)
    decisions = select(ItemDecision).where(
        ItemDecision.case_id == case.id,
        ItemDecision.item_key.in_(
            select(CollectedItem.key).where(
                CollectedItem.case_id == case.id,
                CollectedItem.source == WITHHELD[0],
                CollectedItem.category == WITHHELD[1],
            )
        ),
    )
    for decision in db.session.scalars(decisions):
        decision.action, decision.exemption = Action.WITHHOLD, Exemption.THIRD_PARTY
    lifecycle.move(case, CaseStatus.APPROVED, actor)
    db.session.commit()
    return case


def _entry() -> RegisterEntry:
    return db.session.scalars(
        select(RegisterEntry).where(
            RegisterEntry.source == WITHHELD[0], RegisterEntry.category == WITHHELD[1]
        )
    ).one()


def _withheld_items(case: Case) -> int:
    return len(
        db.session.scalars(
            select(CollectedItem.id).where(
                CollectedItem.case_id == case.id,
                CollectedItem.source == WITHHELD[0],
                CollectedItem.category == WITHHELD[1],
            )
        ).all()
    )


def test_fully_withheld_category_is_listed_with_its_register_facts_in_the_letter(case, kit):
    withheld = _withheld_items(case)
    assert withheld >= 2  # the whole category, not a single item
    entry = _entry()
    # A retention sentence of this category alone (the register is data an admin edits).
    entry.retention = "Kept for four years after the message was sent, then deleted."
    db.session.commit()
    content = build_pack_content(case)
    assert WITHHELD not in {(s.source, s.category) for s in content.sections}
    (category,) = content.withheld_categories
    assert (category.source, category.category, category.withheld) == (*WITHHELD, withheld)
    assert category.facts.purposes == entry.purposes and category.facts.retention == entry.retention
    # These facts are the withheld category's own: no disclosed category would bring them in.
    for section in content.sections:
        assert not set(section.facts.purposes) & set(entry.purposes)
        assert section.facts.retention != entry.retention

    pdf = kit.read_pdf(render_pack_pdf(content), content)
    letter = pdf.text[: pdf.text.index("Part 2: A copy of the personal data")]
    # (The description sits in a table cell, whose wrapped lines interleave when read back.)
    for value in [entry.title, *entry.purposes, entry.retention, entry.lawful_basis]:
        assert kit.flat(value) in letter, value
    assert (
        f"{entry.title}: we hold this data about {case.subject_name}, but we have withheld all "
        f"{withheld} records of it under an exemption, so it is not in Part 2."
    ) in letter
    assert f"We have withheld {withheld} items" in letter
    # The processor, as configured (the company by default), is named.
    assert content.processor.startswith("The Publishing Foundry")
    assert "The Publishing Foundry (the Tiny Tracker service)" in " ".join(letter.split())
    copy = pdf.text[
        pdf.text.index("Part 2: A copy of the personal data") : pdf.text.index("Part 3: Disclosure schedule")
    ]
    assert "Withheld in full Every record of these kinds was withheld under an exemption" in copy
    assert f"{entry.title} (from: " in copy
    # The schedule names the category by its register title, not its code.
    schedule = pdf.text[pdf.text.index("Part 3: Disclosure schedule") :]
    assert entry.title in schedule and "Not shown: the item is withheld" in schedule


def test_fully_withheld_category_is_in_the_json_copy_without_a_csv(case):
    content = build_pack_content(case)
    document = content_as_json(content)
    (category,) = document["withheld_categories"]
    assert category["facts"]["retention"] == _entry().retention
    names = [f.name for f in package_files(content)]
    assert f"csv/{WITHHELD[0]}-{WITHHELD[1]}.csv" not in names
    assert any(name.startswith("csv/pupils-") for name in names)


def test_fully_withheld_category_without_a_register_entry_refuses_the_pack(case):
    db.session.execute(
        delete(RegisterEntry).where(
            RegisterEntry.source == WITHHELD[0], RegisterEntry.category == WITHHELD[1]
        )
    )
    db.session.commit()
    with pytest.raises(LookupError, match="correspondence/correspondence"):
        build_pack_content(case)


def test_category_with_an_item_disclosed_is_not_listed_as_withheld(case):
    decision = db.session.scalars(
        select(ItemDecision)
        .join(CollectedItem, CollectedItem.key == ItemDecision.item_key)
        .where(
            ItemDecision.case_id == case.id,
            CollectedItem.case_id == case.id,
            CollectedItem.source == WITHHELD[0],
            CollectedItem.category == WITHHELD[1],
        )
        .limit(1)
    ).one()
    decision.action, decision.exemption = Action.DISCLOSE, None
    db.session.commit()
    content = build_pack_content(case)
    assert content.withheld_categories == []
    (section,) = [s for s in content.sections if (s.source, s.category) == WITHHELD]
    assert len(section.items) == 1
