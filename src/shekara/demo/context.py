"""State shared by the generator's stages: RNG, ids, writer, agencies and places."""

from __future__ import annotations

import bisect
import calendar
import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.agencies.constants import AgencyKind
from shekara.demo.common import Chooser, Ids, ProgressFn, Sizes, Writer
from shekara.places.constants import PlaceKind
from shekara.places.models import Place
from shekara.policy.constants import Distribution, HandlingCode, InfoCredibility, SourceReliability

SYNTHETIC = "SYNTHETIC demo data, not a real record."
HANDLING = Chooser({HandlingCode.H0: 70, HandlingCode.H1: 15, HandlingCode.H2: 11,
                    HandlingCode.H3: 4})
RELIABILITY = Chooser({SourceReliability.A: 20, SourceReliability.B: 40,
                       SourceReliability.C: 15, SourceReliability.X: 25})
CREDIBILITY = Chooser({InfoCredibility.known_true: 25, InfoCredibility.known_to_source: 30,
                       InfoCredibility.corroborated: 30, InfoCredibility.cannot_judge: 15})
DISTRIBUTION = Chooser({Distribution.agency: 25, Distribution.country: 30,
                        Distribution.partners: 20, Distribution.all: 25})
H3_NOTES = ("Do not contact the person without the owner's consent.",
            "Not for use in proceedings in a third country.",
            "Controlled delivery under way: do not stop the vehicle.")


@dataclass
class AgencyInfo:
    id: uuid.UUID
    code: str
    country: str
    kind: AgencyKind
    users: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class PlaceInfo:
    id: uuid.UUID
    code: str
    kind: str
    name: str
    country: str | None
    country2: str | None
    lat: float | None
    lon: float | None
    checkpoint_kind: str | None
    parent_id: uuid.UUID | None
    population: int | None


@dataclass(frozen=True)
class Section:
    id: uuid.UUID
    code: str
    countries: frozenset[str]
    vertices: tuple[tuple[float, float], ...]  # (lat, lon)


class Ctx:
    """Everything the stages share. One RNG stream: stages run in a fixed order."""

    def __init__(self, session: Session, rng: random.Random, sizes: Sizes,
                 years: tuple[int, int], batch: int, progress: ProgressFn | None):
        self.session = session
        self.rng = rng
        self.ids = Ids(rng)
        self.sizes = sizes
        self.years = years
        self.writer = Writer(session, batch=batch)
        self.batch = batch
        self.progress = progress
        self.start = datetime(years[0], 1, 1, tzinfo=UTC)
        self.end = datetime(years[1], 12, 31, 23, 59, tzinfo=UTC)
        self.agencies: dict[str, AgencyInfo] = {}
        self._agency_cache: dict[tuple[str, tuple[AgencyKind, ...]], AgencyInfo | None] = {}
        self.places: dict[str, PlaceInfo] = {}
        self.by_id: dict[uuid.UUID, PlaceInfo] = {}
        self.cities_by_region: dict[uuid.UUID, list[PlaceInfo]] = {}
        self.cities_by_country: dict[str, list[PlaceInfo]] = {}
        self.sections: list[Section] = []
        self.members: tuple[str, ...] = ()
        # Filled by the stages
        self.groups: list[tuple[uuid.UUID, str, list[int]]] = []  # id, corridor, member indices
        self.companies: list[uuid.UUID] = []
        self.person_countries: list[str] = []  # nationality of person n
        self.person_owners: list[AgencyInfo] = []  # owner agency of person n

    # -- reference data -------------------------------------------------------------------
    def load_places(self) -> None:
        rows = self.session.execute(
            select(Place.id, Place.code, Place.kind, Place.name_en, Place.country,
                   Place.country2, Place.lat, Place.lon, Place.checkpoint_kind, Place.parent_id,
                   Place.population, Place.geometry).order_by(Place.code)
        ).all()
        for r in rows:
            kind = r.kind.value if hasattr(r.kind, "value") else str(r.kind)
            ck = r.checkpoint_kind
            info = PlaceInfo(r.id, r.code, kind, r.name_en, r.country, r.country2, r.lat, r.lon,
                             ck.value if ck is not None and hasattr(ck, "value") else ck,
                             r.parent_id, r.population)
            self.places[r.code] = info
            self.by_id[r.id] = info
            if kind == PlaceKind.city:
                if r.parent_id is not None:
                    self.cities_by_region.setdefault(r.parent_id, []).append(info)
                if r.country:
                    self.cities_by_country.setdefault(r.country, []).append(info)
            elif kind == PlaceKind.border_section and r.geometry and r.code != "bs-kz-ru-all":
                self.sections.append(Section(r.id, r.code,
                                             frozenset(c for c in (r.country, r.country2) if c),
                                             _vertices(r.geometry)))
        for cities in self.cities_by_country.values():
            cities.sort(key=lambda p: -(p.population or 0))

    def checkpoint(self, code: str) -> PlaceInfo | None:
        p = self.places.get(code)
        return p if p is not None and p.kind == PlaceKind.checkpoint else None

    def nearest_section(self, lat: float, lon: float, countries: frozenset[str]) -> Section | None:
        best: tuple[float, Section] | None = None
        for s in self.sections:
            if countries and not countries <= s.countries and len(countries) > 1:
                continue
            for vlat, vlon in s.vertices[:: max(1, len(s.vertices) // 40)]:
                d = (vlat - lat) ** 2 + ((vlon - lon) * math.cos(math.radians(lat))) ** 2
                if best is None or d < best[0]:
                    best = (d, s)
        return best[1] if best else None

    # -- agencies -------------------------------------------------------------------------
    def agency(self, country: str, *kinds: AgencyKind) -> AgencyInfo | None:
        """The first agency of ``country`` of the first of ``kinds`` that exists."""
        key = (country, kinds)
        if key not in self._agency_cache:
            found = None
            for kind in kinds:
                found = next((a for a in self.agencies.values()
                              if a.country == country and a.kind == kind), None)
                if found is not None:
                    break
            self._agency_cache[key] = found
        return self._agency_cache[key]

    def member_country(self, *candidates: str | None) -> str:
        for c in candidates:
            if c in self.members:
                return c
        return self.rng.choice(self.members)

    # -- time -----------------------------------------------------------------------------
    def random_time(self, year: int | None = None, month: int | None = None) -> datetime:
        rng = self.rng
        if year is None:
            span = (self.end - self.start).total_seconds()
            return self.start + timedelta(seconds=int(rng.random() * span))
        month = month or rng.randint(1, 12)
        day = rng.randint(1, calendar.monthrange(year, month)[1])
        hour = bisect.bisect_right(_HOUR_CUM, rng.random() * _HOUR_CUM[-1])
        return datetime(year, month, day, hour, rng.randint(0, 59), rng.randint(0, 59),
                        tzinfo=UTC)

    # -- shared-record columns -----------------------------------------------------------
    def shared(self, record_id: uuid.UUID, agency: AgencyInfo, when: datetime,
               distribution: Distribution | None = None, hit_only: bool = False,
               external_ref: str | None = None) -> dict[str, Any]:
        """Owner, distribution, handling code and 4x4 evaluation of a record; writes the
        share grants of a record distributed to named partners."""
        rng = self.rng
        dist = distribution or DISTRIBUTION(rng)
        handling = HANDLING(rng)
        if dist == Distribution.partners:
            others = [c for c in self.members if c != agency.country]
            for country in rng.sample(others, k=min(len(others), rng.randint(1, 2))):
                self.grant(record_id, country=country)
            if "CARICC" in self.agencies and rng.random() < 0.3:
                self.grant(record_id, agency=self.agencies["CARICC"].id)
        return {
            "id": record_id,
            "distribution": dist,
            "hit_only": hit_only,
            "handling_code": handling,
            "handling_note": rng.choice(H3_NOTES) if handling == HandlingCode.H3 else "",
            "source_reliability": RELIABILITY(rng),
            "info_credibility": CREDIBILITY(rng),
            "external_ref": external_ref,
            "owner_country": agency.country,
            "owner_agency_id": agency.id,
            "created_by": rng.choice(agency.users) if agency.users else None,
            "created_at": when,
            "updated_at": when,
        }

    def grant(self, record_id: uuid.UUID, *, country: str | None = None,
              agency: uuid.UUID | None = None) -> None:
        self.writer.add("share_grants", {
            "id": self.ids.next("share_grant"), "record_id": record_id,
            "partner_country": country, "partner_agency_id": agency,
        })


# More incidents and crossings by day than at night.
_HOURS = (2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 7, 7, 8, 8, 8, 7, 6, 5, 4, 3, 3, 2)
_HOUR_CUM = [float(sum(_HOURS[: i + 1])) for i in range(24)]


def _vertices(geometry: dict[str, Any]) -> tuple[tuple[float, float], ...]:
    coords = geometry.get("coordinates") or []
    lines = [coords] if geometry.get("type") == "LineString" else coords
    return tuple((float(lat), float(lon)) for line in lines for lon, lat in line)
