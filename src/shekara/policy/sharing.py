"""THE sharing policy. Every path that reads records goes through :func:`visible`.

Rules (see docs/concepts.md):

* The owner agency always sees its records in full and is the only one that edits them.
* ``agency``: nobody else. ``country``: every agency of the owner's country. ``partners``: the
  owner's country plus the named partner countries and agencies. ``all``: every member agency.
* ``hit_only``: the audience above learns only that the owner holds something, and whom to
  ask: such records never appear in lists, counts, statistics or exports; searches and
  screening return a *hit notice* (type, owner agency, contact), never the content.
* A user without the ``read`` permission (anonymous, administrators) sees nothing.
* An invisible record answers exactly like a record that does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from shekara.accounts.constants import ROLE_PERMS, Perm, Role
from shekara.policy.constants import Distribution
from shekara.policy.models import ShareGrant


@dataclass(frozen=True)
class Viewer:
    """Who is asking: the authenticated user reduced to what the policy needs."""

    user_id: uuid.UUID
    username: str
    agency_id: uuid.UUID
    country: str
    role: Role
    member: bool = True
    ip: str = ""
    purpose: str = ""
    perms: frozenset[Perm] = field(default=frozenset())

    def __post_init__(self) -> None:
        if not self.perms:
            object.__setattr__(self, "perms", ROLE_PERMS[self.role])

    def can(self, perm: Perm) -> bool:
        return perm in self.perms


def visible(
    viewer: Viewer | None, model: Any, *, include_hit_only: bool = False
) -> ColumnElement[bool]:
    """SQL condition: the rows of ``model`` that ``viewer`` may see.

    With ``include_hit_only`` the condition also admits hit/no-hit-only records of the
    audience; callers must then reduce those rows to a hit notice with :func:`is_hit_notice`.
    """
    if viewer is None or not viewer.can(Perm.read):
        return false()
    return _visible(model, viewer.agency_id, viewer.country, viewer.member, include_hit_only)


@lru_cache(maxsize=4096)
def _visible(
    model: Any, agency_id: uuid.UUID, country: str, member: bool, include_hit_only: bool
) -> ColumnElement[bool]:
    """The condition for one audience (cached: expressions are immutable and reusable)."""
    own = model.owner_agency_id == agency_id
    granted = model.id.in_(
        select(ShareGrant.record_id).where(
            or_(
                ShareGrant.partner_country == country,
                ShareGrant.partner_agency_id == agency_id,
            )
        )
    )
    audience = or_(
        and_(
            model.distribution.in_([Distribution.country, Distribution.partners]),
            model.owner_country == country,
        ),
        and_(model.distribution == Distribution.partners, granted),
        and_(model.distribution == Distribution.all, true() if member else false()),
    )
    if not include_hit_only:
        audience = and_(model.hit_only == false(), audience)
    return or_(own, audience)


def is_hit_notice(viewer: Viewer, record: Any) -> bool:
    """True when ``viewer`` (already admitted by :func:`visible`) may see only a hit notice."""
    return bool(record.hit_only) and record.owner_agency_id != viewer.agency_id


def can_edit(viewer: Viewer | None, record: Any) -> bool:
    """Only users of the owner agency with the write permission edit a record."""
    return (
        viewer is not None and viewer.can(Perm.write) and record.owner_agency_id == viewer.agency_id
    )
