"""Generator stages: incidents with seizures and involvements, cases, border crossings."""

from __future__ import annotations

import json
import math
import uuid
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from importlib.resources import files
from typing import Any

from shekara.agencies.constants import AgencyKind
from shekara.cases.constants import CaseStatus
from shekara.core.quantities import UNITS, normalise
from shekara.demo.common import Chooser, Stage
from shekara.demo.context import SYNTHETIC, AgencyInfo, Ctx, PlaceInfo, Section
from shekara.demo.corridors import (
    COMMODITIES,
    CURRENCY_SCALE,
    JOINT_CHECKPOINTS,
    Commodity,
    Corridor,
    category_of,
    corridors,
)
from shekara.places.constants import CheckpointKind
from shekara.policy.constants import Distribution

K = AgencyKind


def vocab_names() -> dict[str, dict[str, tuple[str, str | None]]]:
    """vocabulary -> code -> (English name, quantity kind) from the default vocabularies."""
    raw = json.loads((files("shekara.vocab") / "data" / "defaults.json").read_text("utf-8"))
    return {voc: {row[0]: (row[1], row[4] if len(row) > 4 else None) for row in rows}
            for voc, rows in raw.items()}


class Route:
    """A corridor resolved against the places of the database."""

    def __init__(self, ctx: Ctx, c: Corridor):
        self.c = c
        # Only places a member country's service can record (not Kabul, not Urumqi).
        members = set(ctx.members)
        self.checkpoints = [p for code in c.checkpoints if (p := ctx.checkpoint(code))
                            and (p.country in members or p.country2 in members)]
        self.border_checkpoints = [p for p in self.checkpoints if p.country2 and p.lat]
        region_ids = [ctx.places[r].id for r in c.regions if r in ctx.places]
        cities = [p for rid in region_ids for p in ctx.cities_by_region.get(rid, [])]
        cities += [p for code in c.cities if (p := ctx.places.get(code)) and p.kind == "city"]
        cities = [p for p in cities if p.country in members]
        self.cities = Chooser([(p, math.sqrt(p.population or 20_000)) for p in cities])
        years = range(ctx.years[0], ctx.years[1] + 1)
        trend = list(c.trend) + [c.trend[-1]] * len(years)
        self.year = Chooser([(y, trend[i]) for i, y in enumerate(years)])
        self.month = Chooser([(m + 1, w) for m, w in enumerate(c.months)])
        self.category = Chooser(c.categories)
        self.commodity = Chooser(c.commodities)
        # The commodities that fit each category (all of them when none fits).
        self.commodities: dict[str, Chooser] = {}
        for category, _ in c.categories:
            fitting = [(k, w) for k, w in c.commodities if category_of(k) == category]
            self.commodities[category] = Chooser(fitting) if fitting else self.commodity

    @property
    def usable(self) -> bool:
        return bool(self.checkpoints or self.cities)


SEIZING = frozenset({"drug_trafficking", "psychotropics", "contraband", "poaching", "weapons",
                     "illegal_logging", "money_laundering"})
ROLES: dict[str, tuple[tuple[str, float], ...]] = {
    "drug": (("courier", 35), ("suspect", 25), ("driver", 15), ("detained", 15),
             ("organiser", 5), ("passenger", 3), ("witness", 2)),
    "migration": (("suspect", 45), ("passenger", 25), ("detained", 15), ("victim", 10),
                  ("witness", 5)),
    "other": (("suspect", 45), ("driver", 20), ("owner", 15), ("detained", 12), ("witness", 8)),
}
ROLE_CHOOSERS = {k: Chooser(v) for k, v in ROLES.items()}
DRUGS = frozenset({"drug_trafficking", "psychotropics"})
MIGRATION = frozenset({"illegal_migration", "illegal_crossing", "human_trafficking",
                       "document_fraud"})


class Incidents:
    def __init__(self, ctx: Ctx):
        self.ctx = ctx
        self.vocab = vocab_names()
        self.routes = [r for r in (Route(ctx, c) for c in corridors()) if r.usable]
        self.route = Chooser([(r, r.c.share) for r in self.routes])
        self.groups: dict[str, list[tuple[uuid.UUID, list[int]]]] = {}
        for gid, corridor, members in ctx.groups:
            if members:
                self.groups.setdefault(corridor, []).append((gid, members))
        self.section_cache: dict[str, Section | None] = {}
        self.case_rate = min(1.0, ctx.sizes.cases / max(1, ctx.sizes.incidents))
        self.case_seq = 0
        self.seq: dict[tuple[str, int], int] = {}
        self.hide: dict[str, tuple[Chooser, Chooser]] = {}

    def section_for(self, p: PlaceInfo) -> Section | None:
        if p.code not in self.section_cache:
            countries = frozenset(c for c in (p.country, p.country2) if c)
            self.section_cache[p.code] = (self.ctx.nearest_section(p.lat, p.lon, countries)
                                          if p.lat is not None and p.lon is not None and
                                          p.country2 else None)
        return self.section_cache[p.code]

    def where(self, route: Route) -> tuple[PlaceInfo | None, Section | None, float | None,
                                           float | None, str]:
        """(place, border section, lat, lon, kind of spot: checkpoint, border or inland)."""
        rng = self.ctx.rng
        r = rng.random()
        if r < route.c.green_border and route.border_checkpoints:
            cp = rng.choice(route.border_checkpoints)
            section = self.section_for(cp)
            if section is not None and section.vertices:
                vlat, vlon = rng.choice(section.vertices)
                return None, section, round(vlat + rng.uniform(-0.03, 0.03), 5), round(
                    vlon + rng.uniform(-0.03, 0.03), 5), "border"
        if route.checkpoints and (r < 0.65 or not route.cities):
            cp = rng.choice(route.checkpoints)
            lat = None if cp.lat is None else round(cp.lat + rng.uniform(-0.005, 0.005), 5)
            lon = None if cp.lon is None else round(cp.lon + rng.uniform(-0.005, 0.005), 5)
            return cp, self.section_for(cp), lat, lon, "checkpoint"
        city: PlaceInfo = route.cities(rng)
        lat = None if city.lat is None else round(city.lat + rng.uniform(-0.05, 0.05), 5)
        lon = None if city.lon is None else round(city.lon + rng.uniform(-0.05, 0.05), 5)
        return city, None, lat, lon, "inland"

    def owner(self, country: str, spot: str, category: str) -> AgencyInfo:
        ctx, rng = self.ctx, self.ctx.rng
        if spot == "border":
            kinds: tuple[AgencyKind, ...] = (K.border,)
        elif spot == "checkpoint":
            customs_first = category in ("contraband", "poaching", "money_laundering")
            kinds = ((K.customs, K.border) if rng.random() < (0.65 if customs_first else 0.4)
                     else (K.border, K.customs))
        elif category in DRUGS:
            kinds = ((K.drug_control, K.police) if rng.random() < 0.6 else
                     (K.police, K.drug_control))
        elif category in ("terrorism_extremism", "weapons"):
            kinds = (K.security, K.police)
        else:
            kinds = (K.police, K.border)
        found = ctx.agency(country, *kinds, K.border, K.police)
        return found or ctx.agencies[sorted(ctx.agencies)[0]]

    def run(self) -> None:
        ctx = self.ctx
        if not self.routes:
            return
        stage = Stage(ctx.progress, "incidents", ctx.sizes.incidents, ctx.batch // 4)
        for n in range(ctx.sizes.incidents):
            self.one(n)
            ctx.writer.maybe_flush()
            stage.tick(n + 1)
        ctx.writer.flush()
        stage.end()

    def one(self, n: int) -> None:
        ctx, rng, w = self.ctx, self.ctx.rng, self.ctx.writer
        route: Route = self.route(rng)
        when = ctx.random_time(route.year(rng), route.month(rng))
        category = str(route.category(rng))
        place, section, lat, lon, spot = self.where(route)
        country = ctx.member_country(
            place.country if place else None, place.country2 if place else None,
            *(sorted(section.countries) if section else ()))
        agency = self.owner(country, spot, category)
        iid = ctx.ids.of("incident", n)
        key = (agency.code, when.year)
        self.seq[key] = self.seq.get(key, 0) + 1
        seized: list[str] = []
        if category in SEIZING and route.commodity:
            pick = route.commodities.get(category, route.commodity)
            for _ in range(1 if rng.random() < 0.85 else 2):
                seized.append(self.seizure(iid, route, str(pick(rng))))
        where_text = (place.name if place else
                      f"the green border ({section.code[3:] if section else 'border'})")
        cat_name = self.vocab["threat_category"].get(category, (category, None))[0]
        summary = f"{cat_name}: {', '.join(seized) if seized else 'detected'} at {where_text}"
        row = ctx.shared(iid, agency, when)
        row.update(
            reference=f"{agency.code}-{when.year}-{self.seq[key]:06d}", category=category,
            occurred_at=when, place_id=place.id if place else None,
            border_section_id=section.id if section else None, lat=lat, lon=lon,
            summary=summary[:500],
            description=(f"{SYNTHETIC} {cat_name} on the corridor '{route.c.name}'. "
                         f"Recorded by {agency.code}."),
        )
        w.add("incidents", row)
        self.involve(iid, route, category, spot)
        if rng.random() < self.case_rate:
            self.case(iid, agency, when, category, summary)

    def seizure(self, iid: uuid.UUID, route: Route, commodity: str) -> str:
        ctx, rng = self.ctx, self.ctx.rng
        spec = COMMODITIES.get(commodity, COMMODITIES["other"])
        unit = spec.units[0] if rng.random() < 0.75 or len(spec.units) == 1 else rng.choice(
            spec.units[1:])
        q = spec.median * math.exp(spec.sigma * rng.gauss(0, 1))
        if unit in CURRENCY_SCALE:
            q *= CURRENCY_SCALE[unit]
        elif unit != spec.units[0] and unit in UNITS and spec.units[0] in UNITS:
            q = q * float(UNITS[spec.units[0]][1]) / float(UNITS[unit][1])
            if unit == "g":
                q *= 0.3  # seizures counted in grams are the small ones
        if unit in ("pcs", "pack", "carton") or unit in CURRENCY_SCALE:
            quantity = Decimal(max(1, math.ceil(q)))
        else:
            quantity = Decimal(str(max(q, 0.001))).quantize(Decimal("0.001"),
                                                           rounding=ROUND_CEILING)
        kind = self.vocab["commodity"].get(commodity, ("", None))[1]
        norm_q, norm_u = normalise(quantity, unit, kind, "seizure")
        c = route.c
        w = ctx.writer
        w.add("seizures", {
            "id": ctx.ids.next("seizure"), "incident_id": iid, "commodity": commodity,
            "quantity": quantity, "unit": unit, "normalised_quantity": norm_q,
            "normalised_unit": norm_u, "concealment": self._hide(commodity, spec)[0](rng),
            "detection": self._hide(commodity, spec)[1](rng),
            "origin_country": rng.choice(c.origin) if c.origin else None,
            "destination_country": rng.choice(c.destination) if c.destination else None,
            "origin_place_id": None, "destination_place_id": None,
            "transit_countries": list(c.transit), "notes": SYNTHETIC,
        })
        name = self.vocab["commodity"].get(commodity, (commodity, None))[0]
        return f"{name} {quantity.normalize():f} {unit}"

    def _hide(self, commodity: str, spec: Commodity) -> tuple[Chooser, Chooser]:
        """Choosers of concealment and detection for a commodity (built once)."""
        if commodity not in self.hide:
            self.hide[commodity] = (Chooser(spec.concealment), Chooser(spec.detection))
        return self.hide[commodity]

    def involve(self, iid: uuid.UUID, route: Route, category: str, spot: str) -> None:
        ctx, rng, w = self.ctx, self.ctx.rng, self.ctx.writer
        n_poi = (ctx.sizes.persons + 3) // 4
        roles = ROLE_CHOOSERS["drug" if category in DRUGS else
                              "migration" if category in MIGRATION else "other"]
        groups = self.groups.get(route.c.code, [])
        group = rng.choice(groups) if groups and rng.random() < 0.5 else None
        persons: set[int] = set()
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3)) if n_poi else 0):
            if group is not None:
                persons.add(rng.choice(group[1]))
            else:
                persons.add(rng.randrange(n_poi) * 4)
        for p in sorted(persons):
            w.add("involvements", self._inv(iid, "person_id", ctx.ids.of("person", p),
                                            str(roles(rng))))
        if ctx.sizes.vehicles and (spot != "border" or category == "stolen_vehicle") and (
                rng.random() < 0.55 or category == "stolen_vehicle"):
            vid = ctx.ids.of("vehicle", rng.randrange(ctx.sizes.vehicles))
            w.add("involvements", self._inv(iid, "vehicle_id", vid, "transport"))
        if group is not None and rng.random() < 0.3:
            w.add("involvements", self._inv(iid, "organisation_id", group[0], "organiser"))

    def _inv(self, iid: uuid.UUID, column: str, ref: uuid.UUID, role: str) -> dict[str, Any]:
        row: dict[str, Any] = {"id": self.ctx.ids.next("involvement"), "incident_id": iid,
                               "person_id": None, "vehicle_id": None, "organisation_id": None,
                               "role": role}
        row[column] = ref
        return row

    def case(self, iid: uuid.UUID, agency: AgencyInfo, when: datetime, category: str,
             summary: str) -> None:
        """A case with its status history; serious ones are handed over from the border or
        customs service to the national security committee (or drug control)."""
        ctx, rng, w = self.ctx, self.ctx.rng, self.ctx.writer
        cid = ctx.ids.next("case")
        self.case_seq += 1
        t = when + timedelta(hours=rng.randint(2, 72))
        opened = t
        owner = agency
        events: list[dict[str, Any]] = []

        def event(kind: str, at: datetime, frm: str | None = None, to: str | None = None,
                  from_agency: AgencyInfo | None = None, to_agency: AgencyInfo | None = None,
                  note: str = "") -> None:
            by = from_agency or owner
            events.append({
                "id": ctx.ids.next("case_event"), "case_id": cid, "at": at, "kind": kind,
                "from_status": frm, "to_status": to,
                "from_agency_id": from_agency.id if from_agency else None,
                "to_agency_id": to_agency.id if to_agency else None,
                "user_id": rng.choice(by.users) if by.users else None, "note": note,
            })

        status = CaseStatus.opened
        event("status", t, None, status.value, note="Case opened after the incident.")
        steps = 0
        while status not in (CaseStatus.closed, CaseStatus.sentenced) and steps < 6:
            steps += 1
            t += timedelta(days=rng.randint(3, 120))
            if t > ctx.end:
                break
            if (status == CaseStatus.investigation and owner.kind in (K.border, K.customs)
                    and (category in DRUGS or category in ("weapons", "terrorism_extremism",
                                                           "human_trafficking"))
                    and rng.random() < 0.6):
                to = ctx.agency(owner.country, K.security, K.drug_control, K.police)
                if to is not None and to.id != owner.id:
                    event("handover", t, status.value, status.value, owner, to,
                          note=f"Handed over to {to.code} for investigation.")
                    owner = to
                    continue
            nxt = self._next_status(status)
            event("status", t, status.value, nxt.value)
            status = nxt
        if status == CaseStatus.sentenced and rng.random() < 0.5:
            t += timedelta(days=rng.randint(30, 200))
            if t <= ctx.end:
                event("status", t, status.value, CaseStatus.closed.value)
                status = CaseStatus.closed
        row = ctx.shared(cid, owner, opened)
        row["updated_at"] = t if t <= ctx.end else ctx.end
        row.update(number=f"{owner.country}-{opened.year}-{self.case_seq:07d}",
                   title=f"Case: {summary}"[:300], status=status, opened_at=opened)
        w.add("cases", row)
        for e in events:
            w.add("case_events", e)
        w.add("case_incidents", {"case_id": cid, "incident_id": iid})

    def _next_status(self, status: CaseStatus) -> CaseStatus:
        r = self.ctx.rng.random()
        if status == CaseStatus.opened:
            return CaseStatus.investigation if r < 0.9 else CaseStatus.closed
        if status == CaseStatus.investigation:
            return (CaseStatus.referred_to_court if r < 0.55 else CaseStatus.suspended
                    if r < 0.75 else CaseStatus.closed)
        if status == CaseStatus.suspended:
            return CaseStatus.investigation if r < 0.5 else CaseStatus.closed
        if status == CaseStatus.referred_to_court:
            return CaseStatus.sentenced if r < 0.8 else CaseStatus.closed
        return CaseStatus.closed


CHECKPOINT_WEIGHT = {CheckpointKind.road: 10.0, CheckpointKind.rail: 3.0, CheckpointKind.air: 6.0,
                     CheckpointKind.sea: 1.0, CheckpointKind.pedestrian: 5.0}
RESULTS = Chooser({"cleared": 960, "referred": 25, "refused": 8, "seized": 4, "detained": 3})
CROSSING_DIST = Chooser({Distribution.country: 50, Distribution.partners: 25,
                         Distribution.all: 20, Distribution.agency: 5})
# Traffic peaks in summer; it grew over the years.
CROSSING_MONTHS = Chooser([(m + 1, w) for m, w in enumerate(
    (0.8, 0.75, 0.9, 0.95, 1.05, 1.15, 1.3, 1.3, 1.1, 1.0, 0.85, 0.85))])


def crossings(ctx: Ctx) -> None:
    rng, w = ctx.rng, ctx.writer
    cps = [p for p in ctx.places.values()
           if p.kind == "checkpoint" and p.country in ctx.members]
    if not cps or not ctx.sizes.persons:
        return
    pick = Chooser([(p, CHECKPOINT_WEIGHT.get(CheckpointKind(p.checkpoint_kind or "road"), 1.0)
                     * (2.0 if p.code in JOINT_CHECKPOINTS else 1.0)) for p in cps])
    years = Chooser([(y, 1.0 + 0.08 * i) for i, y in enumerate(range(ctx.years[0],
                                                                     ctx.years[1] + 1))])
    n_persons = ctx.sizes.persons
    n_poi = (n_persons + 3) // 4
    stage = Stage(ctx.progress, "crossings", ctx.sizes.crossings, ctx.batch)
    for n in range(ctx.sizes.crossings):
        cp: PlaceInfo = pick(rng)
        joint = cp.code in JOINT_CHECKPOINTS and cp.country2 in ctx.members
        country = cp.country or ctx.members[0]
        if joint and rng.random() < 0.5 and cp.country2:
            country = cp.country2  # the post is manned in rotation
        agency = ctx.agency(country, K.border, K.customs) or ctx.agencies[sorted(ctx.agencies)[0]]
        person = rng.randrange(n_poi) * 4 if rng.random() < 0.25 else rng.randrange(n_persons)
        vehicle = None
        if cp.checkpoint_kind == CheckpointKind.road and ctx.sizes.vehicles and rng.random() < 0.45:
            vehicle = ctx.ids.of("vehicle", rng.randrange(ctx.sizes.vehicles))
        when = ctx.random_time(years(rng), CROSSING_MONTHS(rng))
        row = ctx.shared(ctx.ids.of("crossing", n), agency, when, CROSSING_DIST(rng))
        inspected = [country]
        if joint and cp.country2 and cp.country:
            inspected = sorted({cp.country, cp.country2})
        row.update(direction=rng.choice(("entry", "exit")), crossed_at=when,
                   checkpoint_id=cp.id, person_id=ctx.ids.of("person", person),
                   vehicle_id=vehicle, document_id=ctx.ids.of("document", person),
                   inspecting_agency_id=agency.id, inspected_for=inspected,
                   result=RESULTS(rng))
        w.add("crossings", row)
        w.maybe_flush()
        stage.tick(n + 1)
    w.flush()
    stage.end()
