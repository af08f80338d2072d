"""What the response pack template is given: a ``PackContent`` reshaped
for print.

The templates stay free of logic beyond loops: how a value reads
(``pdf_values``), how an item is laid out (``pdf_items``) and how the
register facts group into the cover letter's answers (here) is plain Python
the tests can reach.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.exports.codes import readable_title
from app.exports.content import CategorySection, PackContent, RegisterFacts, ScheduleRow, WithheldCategory
from app.exports.pdf_items import attendance_legend, item_view
from app.exports.pdf_values import label, show
from app.review.models import Action

# How the requester stands to the person the data is about, in a sentence
# ("You asked for ... about Amelia, as their parent or carer").
REQUESTER_RELATIONSHIPS: dict[str, str] = {
    "self": "for yourself",
    "parent_carer": "as their parent or carer",
    "authorised_third_party": "on their behalf, with their written permission",
}

# app.collect.models.RunStatus values; a pack is built after every run ends.
RUN_STATUSES: dict[str, str] = {
    "done": "Searched",
    "failed": "Could not be searched",
    "queued": "Not yet searched",
    "running": "Search not finished",
}


@dataclass
class FactGroup:
    """One answer and the categories it applies to (all of them, often)."""

    categories: list[str]
    everything: bool
    values: list[str]


Held = CategorySection | WithheldCategory  # a category the letter answers for


def fact_groups(sections: Sequence[Held], pick: str) -> list[FactGroup]:
    groups: dict[tuple[str, ...], list[str]] = {}
    for section in sections:
        raw = getattr(section.facts, pick)
        values = tuple(raw) if isinstance(raw, list) else ((raw,) if raw else ())
        titles = groups.setdefault(values, [])
        if section.facts.title not in titles:
            titles.append(section.facts.title)
    whole = len(groups) == 1
    return [FactGroup(titles, whole, [show(v) for v in values]) for values, titles in groups.items()]


def _category_titles(sections: Iterable[Held]) -> dict[tuple[str, str], str]:
    return {(s.source, s.category): s.facts.title for s in sections}


def schedule_view(
    rows: Sequence[ScheduleRow],
    titles: Mapping[tuple[str, str], str],
    sources: Mapping[str, str],
    *,
    full: bool,
) -> dict[str, Any]:
    """The schedule: withheld and redacted rows in full, disclosures counted
    (or listed too, for the standalone schedule)."""
    listed = []
    exemptions: dict[tuple[str, str], Counter[str]] = {}
    disclosed: Counter[str] = Counter()
    for row in rows:
        category = titles.get((row.source, row.category)) or label(row.category)
        where = f"{sources.get(row.source, label(row.source))}: {category}"
        if row.action is Action.DISCLOSE:
            disclosed[where] += 1
            if not full:
                continue
        if row.exemption_title:
            key = (row.exemption_title, row.exemption_citation or "")
            exemptions.setdefault(key, Counter())[row.action.value] += 1
        listed.append(
            {
                "where": where,
                "title": (
                    show(readable_title(row.category, row.title))
                    if row.title is not None
                    else "Not shown: the item is withheld"
                ),
                "action": {"disclose": "Disclosed", "withhold": "Withheld", "redact": "Partly redacted"}[
                    row.action.value
                ],
                "exemption": row.exemption_title or "—",
                "citation": row.exemption_citation or "—",
            }
        )
    return {
        "rows": listed,
        "exemptions": [
            {"title": t, "citation": c, "withheld": n["withhold"], "redacted": n["redact"]}
            for (t, c), n in exemptions.items()
        ],
        "disclosed": sorted(disclosed.items()),
        "withheld": sum(1 for r in rows if r.action is Action.WITHHOLD),
        "redacted": sum(1 for r in rows if r.action is Action.REDACT),
        "total": len(rows),
    }


def pack_view(content: PackContent) -> dict[str, Any]:
    sections = content.sections
    withheld = content.withheld_categories
    # Every category held about the subject, in the pack's order: the
    # Art 15(1) facts are owed for data withheld in full too.
    held: list[Held] = sorted([*sections, *withheld], key=lambda s: (s.source, s.category))
    titles = _category_titles(held)
    sources = {s.name: s.title for s in content.sources_searched}
    facts = {
        name: fact_groups(held, name)
        for name in (f.name for f in RegisterFacts.__dataclass_fields__.values())
        if name not in ("title", "description")
    }
    return {
        "c": content,
        "relationship": REQUESTER_RELATIONSHIPS.get(
            content.requester_relationship, label(content.requester_relationship)
        ),
        "for_someone_else": content.requester_relationship != "self",
        "facts": facts,
        "categories": [
            {
                "title": s.facts.title,
                "description": s.facts.description,
                "count": len(s.items) if isinstance(s, CategorySection) else 0,
                "withheld": s.withheld if isinstance(s, WithheldCategory) else 0,
            }
            for s in held
        ],
        "withheld_categories": [
            {"title": s.facts.title, "count": s.withheld, "source": sources.get(s.source, label(s.source))}
            for s in withheld
        ],
        "searched": [
            {
                "title": s.title,
                "status": RUN_STATUSES.get(s.status, label(s.status)),
                "count": s.item_count,
                "finished": show(s.finished_at) if s.finished_at else "—",
            }
            for s in content.sources_searched
        ],
        "schedule": schedule_view(content.schedule, titles, sources, full=False),
        "not_portable": content.not_portable,
        "sections": [
            {
                "id": f"s-{n}",
                "title": s.facts.title,
                "source": sources.get(s.source, label(s.source)),
                "description": s.facts.description,
                "records": [item_view(i) for i in s.items],
                "legend": attendance_legend(s.items) if s.category == "attendance" else [],
            }
            for n, s in enumerate(sections, start=1)
        ],
    }
