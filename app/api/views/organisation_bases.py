"""``/organisations/{id}/bases``: the Art 6(1) basis of each register
category at one organisation, read by whoever sees the organisation, set or
cleared by admins. The rules live in ``app.register.bases``."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response

from app.accounts.models import Role
from app.accounts.scoping import NotInScope
from app.api.auth import current_user
from app.api.errors import ApiError
from app.api.organisation_basis_schemas import (
    OrganisationBasisChangeSchema,
    OrganisationBasisListSchema,
    OrganisationBasisSchema,
)
from app.api.routing import operation
from app.api.services import organisation_for
from app.api.views import bp
from app.extensions import db
from app.orgs.models import Organisation
from app.register import services
from app.register.bases import BASIS, BasisRow, bases_at, clear_basis, set_basis
from app.register.models import RegisterEntry

_PATH = "/organisations/<uuid:organisation_id>/bases/<uuid:entry_id>"


def _organisation(organisation_id: uuid.UUID) -> Organisation:
    try:
        return organisation_for(current_user(), organisation_id)
    except NotInScope:
        raise ApiError(404) from None


def _found(organisation_id: uuid.UUID, entry_id: uuid.UUID) -> tuple[Organisation, RegisterEntry]:
    # The organisation first, as the console does: scoping decides before
    # anything else is looked up.
    organisation = _organisation(organisation_id)
    try:
        return organisation, services.entry(entry_id)
    except LookupError:
        raise ApiError(404) from None


def _item(organisation: Organisation, row: BasisRow) -> dict[str, Any]:
    entry, effective = row.entry, row.effective
    set_by = "organisation" if row.own else "trust" if row.inherited_from_trust else "register"
    return {
        "register_entry_id": entry.id,
        "source": entry.source,
        "category": entry.category,
        "title": entry.title,
        "basis": effective.basis.value,
        "lawful_basis": effective.wording,
        "set_by": set_by,
        "set_by_organisation_id": effective.set_by,
    }


@operation(
    bp,
    "/organisations/<uuid:organisation_id>/bases",
    "GET",
    summary="The lawful basis of each register category at an organisation",
    tag="register",
    response=OrganisationBasisListSchema,
)
def list_organisation_bases(organisation_id: uuid.UUID) -> dict[str, Any]:
    """Every category of the register, in the register's order, with the
    basis that applies at the organisation: its own, else its trust's, else
    the register's. An organisation outside the caller's scope is not found."""
    organisation = _organisation(organisation_id)
    return {"items": [_item(organisation, row) for row in bases_at(organisation)]}


@operation(
    bp,
    _PATH,
    "PUT",
    summary="Set an organisation's own lawful basis for a register category",
    tag="register",
    body=OrganisationBasisChangeSchema,
    response=OrganisationBasisSchema,
    roles=(Role.ADMIN,),
)
def put_organisation_basis(
    organisation_id: uuid.UUID, entry_id: uuid.UUID, body: dict[str, Any]
) -> dict[str, Any]:
    """Replaces the trust's or the register's basis at this organisation
    (for a trust: at its schools without their own too). A basis and
    wording equal to what the organisation inherits (its trust's, else the
    register's) store nothing of its own, and remove an own one equal to
    it, so the trust's or the register's later changes keep reaching it:
    the answer is then the inherited basis, with `set_by` "trust" or
    "register". Wording that cites another point of Art 6(1) than the
    basis, or opens with another basis's name, is refused (422). So is
    `legitimate_interests` at a public authority or at a school of a trust
    that is one (UK GDPR Art 6(1), last sentence: point (f) does not apply
    to a public authority's processing in performing its tasks): 422 with a
    message on `basis` suggesting `public_task` (Art 6(1)(e)); the
    organisation's `public_authority` says which it is. So is
    `legitimate_interests` at a trust that is not a public authority while
    any of its schools without a basis of their own for the category (they
    take the trust's) is one: 422 on `basis` naming those schools. A change
    is audited with the code chosen, never the wording."""
    organisation, entry = _found(organisation_id, entry_id)
    try:
        set_basis(organisation, entry, body, current_user())
    except services.RegisterError as exc:
        db.session.rollback()
        raise ApiError(422, fields={name: [message] for name, message in exc.errors.items()}) from None
    db.session.commit()
    return _item(organisation, next(row for row in bases_at(organisation) if row.entry.id == entry.id))


@operation(
    bp,
    _PATH,
    "DELETE",
    summary="Go back to the trust's or the register's lawful basis",
    tag="register",
    status=204,
    roles=(Role.ADMIN,),
    errors=(409,),
)
def delete_organisation_basis(organisation_id: uuid.UUID, entry_id: uuid.UUID) -> Response:
    """Removes the organisation's own basis for the category. Idempotent:
    204 whether or not it had one. 409, with a message saying why and what
    to change first, when the basis gone back to (the trust's or the
    register's) is legitimate interests and the organisation is a public
    authority or a school of one, or is a trust whose schools taking its
    basis include one (UK GDPR Art 6(1), last sentence)."""
    organisation, entry = _found(organisation_id, entry_id)
    try:
        clear_basis(organisation, entry, current_user())
    except services.RegisterError as exc:
        db.session.rollback()
        raise ApiError(409, message=exc.errors[BASIS]) from None
    db.session.commit()
    return Response(status=204)
