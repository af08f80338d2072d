"""The consent ledger: what parents agreed to for their children (photos,
biometrics) and for themselves (text messages), some later withdrawn."""

from __future__ import annotations

from datetime import date, timedelta

from app.demo.context import Context
from app.demo.draw import Weighted
from app.demo.orgs import School
from app.demo.pupils import PupilInfo
from app.sources.consent.models import wording_sha256

CONSENT_COLUMNS = (
    "id", "organisation_id", "person_kind", "person_id", "purpose", "decision", "wording", "wording_version",
    "wording_sha256", "method", "evidence", "recorded_by", "recorded_at",
)  # fmt: skip

# (purpose, version, wording, share of pupils asked about it)
_FOR_PUPILS = (
    ("photos_school_website", "2024.1",
     "I agree that photographs of my child may be used on the school website and in the newsletter. "
     "I can withdraw this consent at any time by telling the school office.", 0.7),
    ("photos_social_media", "2024.1",
     "I agree that photographs of my child, without their name, may be posted on the school's social "
     "media accounts. I can withdraw this consent at any time.", 0.4),
    ("biometric_catering", "2023.2",
     "I agree to the school using my child's fingerprint to create a template for the cashless catering "
     "system (Protection of Freedoms Act 2012). The fingerprint image is not stored.", 0.15),
)  # fmt: skip
_FOR_CONTACTS = (
    "contact_text_reminders",
    "2025.1",
    "I agree to receive text-message reminders from the school about events, trips and payments.",
)
_METHODS = Weighted((("web", 60.0), ("paper_signature", 35.0), ("verbal", 5.0)))
_WITHDRAWN_SHARE = 0.08


def generate_consent(ctx: Context, school: School, pupils: list[PupilInfo]) -> None:
    rng = ctx.rng
    first_day = max(ctx.window_start, school.contract_start)
    seen_contacts: set[str] = set()
    for pupil in pupils:
        parents = [c for c in pupil.contacts if c.parental_responsibility] or list(pupil.contacts)
        if not parents:
            continue
        for purpose, version, wording, share in _FOR_PUPILS:
            if rng.random() >= share:
                continue
            parent = parents[0]
            _record(
                ctx,
                school,
                "pupil",
                pupil.id,
                purpose,
                version,
                wording,
                first_day,
                f"Given by {parent.formal_name} ({parent.relationship.lower()})",
            )
        for contact in pupil.contacts:
            if contact.id in seen_contacts or not contact.receives_correspondence or rng.random() >= 0.3:
                continue
            seen_contacts.add(contact.id)
            purpose, version, wording = _FOR_CONTACTS
            _record(ctx, school, "contact", contact.id, purpose, version, wording, first_day, None)


def _record(
    ctx: Context,
    school: School,
    kind: str,
    person_id: str,
    purpose: str,
    version: str,
    wording: str,
    first_day: date,
    evidence: str | None,
) -> None:
    rng = ctx.rng
    method = _METHODS.pick(rng)
    granted = ctx.moment(ctx.weekday_between(first_day, school.data_until))
    recorder = "Parent portal" if method == "web" else "School office"
    if method == "paper_signature":
        evidence = f"{evidence + '; ' if evidence else ''}signed form scanned to the pupil file"
    about = (school.id, kind, person_id, purpose)
    shown = (wording, version, wording_sha256(wording))
    ctx.sink.add(
        "consent_records", (ctx.ids(), *about, "granted", *shown, method, evidence, recorder, granted)
    )
    if rng.random() < _WITHDRAWN_SHARE:
        withdrawn = granted + timedelta(days=rng.randint(7, 200))
        if withdrawn.date() <= school.data_until:
            # Withdrawal is as easy as giving: one click in the parent portal.
            note = "Withdrawn through the parent portal"
            ctx.sink.add(
                "consent_records",
                (ctx.ids(), *about, "withdrawn", *shown, "web", note, "Parent portal", withdrawn),
            )
