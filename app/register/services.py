"""Reading and correcting the processing register.

Every user of the console may read it (it is what the response letters
cite); only admins change it. Its basis for a category applies wherever an
organisation (or its trust) has not set its own, so it is never made
legitimate interests where a public authority takes it
(``app.register.authority``). A change is validated as a whole, applied in
the caller's transaction and audited with the names of the fields changed
(never their text).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from app.accounts.models import Role, User
from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.register.authority import register_basis_refusal
from app.register.citations import citation_conflict
from app.register.errors import NotAllowed, RegisterError
from app.register.models import LawfulBasis, RegisterEntry
from app.sources.registry import all_sources
from app.sources.validation import has_control_characters

MAX_TITLE = 200
MAX_TEXT = 2000
MAX_LIST = 20
MAX_LIST_ITEM = 300

TEXT_FIELDS = (
    "description",
    "lawful_basis",
    "retention",
    "origin",
    "automated_decisions",
    "transfers",
)
LIST_FIELDS = ("purposes", "recipients")
OPTIONAL_TEXT_FIELDS = ("special_category_condition",)
# The facts the right to data portability is decided on (app.portability.scope).
BASIS = "basis"
PROVIDED = "provided_by_person"
EDITABLE = ("title", *TEXT_FIELDS, *OPTIONAL_TEXT_FIELDS, *LIST_FIELDS, BASIS, PROVIDED)
# A form's radio values for ``provided_by_person``.
YES, NO = "yes", "no"


def entries() -> Sequence[RegisterEntry]:
    ordered = select(RegisterEntry).order_by(RegisterEntry.source, RegisterEntry.category)
    return db.session.scalars(ordered).all()


def entry(entry_id: uuid.UUID) -> RegisterEntry:
    found = db.session.get(RegisterEntry, entry_id)
    if found is None:
        raise LookupError("no such register entry")
    return found


def missing_categories() -> list[tuple[str, str]]:
    """(source, category) pairs a source can produce but the register does
    not describe: a pack disclosing one of them cannot be built."""
    have = {(e.source, e.category) for e in entries()}
    return [
        (source.name, category)
        for source in all_sources()
        for category in source.categories
        if (source.name, category) not in have
    ]


def clean_text(value: Any, name: str, errors: dict[str, str], *, limit: int, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[name] = "Enter some text"
        return None
    if not isinstance(value, str):
        errors[name] = "Must be text"
        return None
    text = value.strip()
    if len(text) > limit:
        errors[name] = f"Use at most {limit} characters"
    elif has_control_characters(text):
        errors[name] = "Remove the control characters (they are not text)"
    return text


def _clean_list(value: Any, name: str, errors: dict[str, str]) -> list[str]:
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors[name] = "Must be a list of lines of text"
        return []
    lines = [line.strip() for line in value if line.strip()]
    if not lines:
        errors[name] = "Enter at least one line"
    elif len(lines) > MAX_LIST:
        errors[name] = f"Use at most {MAX_LIST} lines"
    elif any(len(line) > MAX_LIST_ITEM for line in lines):
        errors[name] = f"Keep each line to at most {MAX_LIST_ITEM} characters"
    elif any(has_control_characters(line) for line in lines):
        errors[name] = "Remove the control characters (they are not text)"
    return lines


def clean_basis(value: Any, errors: dict[str, str]) -> LawfulBasis | None:
    try:
        return LawfulBasis(value)
    except ValueError:
        errors[BASIS] = "Choose the Article 6(1) basis the category is used on"
        return None


def _clean_provided(value: Any, errors: dict[str, str]) -> bool | None:
    # A bool from the API, "yes" or "no" from the console's radios.
    if isinstance(value, bool):
        return value
    if value in (YES, NO):
        return value == YES
    errors[PROVIDED] = "Say whether the person gave this data themself"
    return None


def update_entry(target: RegisterEntry, changes: Mapping[str, Any], actor: User) -> list[str]:
    """Apply ``changes`` (any of EDITABLE) and return the names of the fields
    that changed. Nothing is applied if any field is invalid.

    The register's basis is what every organisation without one of its own
    (or its trust's) takes, so changing it to legitimate interests is
    refused while any public authority, or school of one, takes it
    (``register_basis_refusal``). An entry already on legitimate interests
    (set before the rule) can still be corrected otherwise; the
    organisation pages flag it where it is in effect at a public authority."""
    if actor.role is not Role.ADMIN:
        raise NotAllowed("only administrators change the processing register")
    errors: dict[str, str] = {}
    unknown = sorted(set(changes) - set(EDITABLE))
    for name in unknown:
        errors[name] = "Not a field of the register"
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "title":
            cleaned[name] = clean_text(value, name, errors, limit=MAX_TITLE, required=True)
        elif name in TEXT_FIELDS:
            cleaned[name] = clean_text(value, name, errors, limit=MAX_TEXT, required=True)
        elif name in OPTIONAL_TEXT_FIELDS:
            cleaned[name] = clean_text(value, name, errors, limit=MAX_TEXT, required=False)
        elif name in LIST_FIELDS:
            cleaned[name] = _clean_list(value, name, errors)
        elif name == BASIS:
            cleaned[name] = clean_basis(value, errors)
        elif name == PROVIDED:
            cleaned[name] = _clean_provided(value, errors)
    if (
        not errors
        and cleaned.get(BASIS) is LawfulBasis.LEGITIMATE_INTERESTS
        and target.basis is not LawfulBasis.LEGITIMATE_INTERESTS
        and (refusal := register_basis_refusal(target))
    ):
        errors[BASIS] = refusal
    if not errors and (BASIS in cleaned or "lawful_basis" in cleaned):
        wording = cleaned.get("lawful_basis", target.lawful_basis)
        conflict = citation_conflict(wording, cleaned.get(BASIS, target.basis))
        if conflict:
            errors["lawful_basis" if "lawful_basis" in cleaned else BASIS] = conflict
    if errors:
        raise RegisterError(errors)
    changed = [name for name, value in cleaned.items() if getattr(target, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(target, name, cleaned[name])
    target.updated_at = utcnow()
    target.updated_by_id = actor.id
    record(
        "register.updated",
        actor_type="user",
        actor_id=actor.id,
        object_type="register_entry",
        object_id=target.id,
        data={"fields": sorted(changed)},
    )
    return changed
