"""Generator stages: agencies and demo users, sources, organisations, persons, vehicles."""

from __future__ import annotations

import random
import string
import uuid
from collections import deque
from datetime import date, datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select

from shekara.accounts.constants import Role
from shekara.accounts.models import User
from shekara.agencies.constants import AgencyKind
from shekara.agencies.models import Agency
from shekara.core.text import identifier_key, name_tokens, search_key
from shekara.demo.agencies import AGENCIES, DEMO_PASSWORD, demo_accounts
from shekara.demo.common import Chooser, Stage
from shekara.demo.context import SYNTHETIC, AgencyInfo, Ctx
from shekara.demo.corridors import corridors
from shekara.demo.names import NATIONALITY_WEIGHTS, Identity, make_identity, render_names
from shekara.persons.constants import DocumentKind, Sex
from shekara.policy.constants import Distribution

K = AgencyKind
RECORDING_KIND = Chooser({K.border: 40, K.police: 18, K.customs: 14, K.drug_control: 14,
                          K.security: 10, K.coordination_centre: 4})
LOCALE = {"KZ": "kk", "RU": "ru", "BY": "ru", "KG": "ru", "UZ": "ru", "TJ": "ru"}


def agencies_and_users(ctx: Ctx) -> None:
    """The demo agencies (existing codes are reused) and one account per role in several."""
    existing = {a.code: a for a in ctx.session.execute(select(Agency)).scalars()}
    for adef in AGENCIES:
        aid = ctx.ids.next("agency")
        if adef.code in existing:
            row = existing[adef.code]
            ctx.agencies[adef.code] = AgencyInfo(row.id, row.code, row.country, row.kind)
            continue
        ctx.agencies[adef.code] = AgencyInfo(aid, adef.code, adef.country, adef.kind)
        ctx.writer.add("agencies", {
            "id": aid, "code": adef.code, "name": adef.name_en, "name_ru": adef.name_ru,
            "name_kk": adef.name_kk, "country": adef.country, "kind": adef.kind,
            "contact": adef.contact, "active": True, "created_at": ctx.start,
            "updated_at": ctx.start,
        })
    ctx.members = tuple(sorted({a.country for a in ctx.agencies.values()}))
    # One argon2 hash for every demo account, salted from the RNG (deterministic output).
    password_hash = PasswordHasher().hash(DEMO_PASSWORD, salt=ctx.rng.randbytes(16))
    taken = set(ctx.session.execute(select(User.username)).scalars())
    for username, code, role in demo_accounts():
        uid = ctx.ids.next("user")
        if username in taken or code not in ctx.agencies:
            continue
        agency = ctx.agencies[code]
        if role in (Role.officer, Role.inspector, Role.supervisor):
            agency.users.append(uid)
        ctx.writer.add("users", {
            "id": uid, "username": username,
            "display_name": f"Demo {role.value.replace('_', ' ')}, {code}",
            "agency_id": agency.id, "role": role, "password_hash": password_hash,
            "active": True, "locale": "en" if code == "CARICC" else LOCALE.get(agency.country,
                                                                               "en"),
            "created_at": ctx.start, "updated_at": ctx.start,
        })
    ctx.writer.flush(commit=True)


def recording_agency(ctx: Ctx, country: str, kind: AgencyKind | None = None) -> AgencyInfo:
    kind = kind or RECORDING_KIND(ctx.rng)
    found = ctx.agency(country, kind, K.border, K.police, K.customs)
    if found is None:
        found = ctx.agencies[ctx.rng.choice(sorted(ctx.agencies))]
    return found


SOURCE_KINDS = Chooser({"report": 45, "informant": 20, "partner": 20, "article": 10, "other": 5})
ARTICLE_TOPICS = (
    "Heroin transit through Kazakhstan towards Astrakhan and Orenburg",
    "Border guards report a rise in synthetic drug parcels",
    "Caviar poachers detained in the Volga-Ural delta",
    "Joint checkpoint halves inspection time for trucks",
    "Trackers and electronic seals for transit trucks: first results",
    "Cannabis harvest season on the Chu valley",
)


def sources(ctx: Ctx) -> None:
    rng = ctx.rng
    for n in range(ctx.sizes.sources):
        kind = SOURCE_KINDS(rng)
        agency = recording_agency(ctx, rng.choice(ctx.members))
        when = ctx.random_time()
        sid = ctx.ids.of("source", n)
        if kind == "article":
            title = f"{rng.choice(ARTICLE_TOPICS)} ({SYNTHETIC})"
            url = f"https://news.example/{when:%Y/%m}/demo-{n}"
        elif kind == "informant":
            title = f"Informant {agency.country}-{n:05d}: information on a courier network"
            url = ""
        elif kind == "partner":
            title = f"Information from a partner agency, message {n:05d}"
            url = ""
        else:
            title = f"Service report {agency.code}/{when.year}/{n:05d}"
            url = ""
        row = ctx.shared(sid, agency, when)
        row.update(kind=kind, title=title[:300], url=url, published_at=when)
        ctx.writer.add("sources", row)
        ctx.writer.maybe_flush()


GROUP_WORDS = ("Беркут", "Северный путь", "Караван", "Степные волки", "Каспий", "Тюльпан",
               "Шымкентские", "Алтын", "Сапсан", "Дальний", "Барс", "Ночной экспресс", "Тулпар",
               "Самал", "Орлан", "Южные")
COMPANY_WORDS = ("Транзит", "Логистик", "Каспий Транс", "Евразия Карго", "Шелковый путь",
                 "Степь Авто", "Жибек Жолы", "Алатау Экспресс", "Урал Транс", "Сибирь Карго")


def organisations(ctx: Ctx) -> None:
    rng = ctx.rng
    routes = Chooser([(c.code, c.share) for c in corridors()])
    for n in range(ctx.sizes.groups):
        oid = ctx.ids.of("organisation", n)
        country = ctx.member_country(rng.choice(("KZ", "KZ", "RU", "KG", "UZ", "TJ")))
        agency = recording_agency(ctx, country, rng.choice((K.drug_control, K.security,
                                                            K.police, K.border)))
        corridor = str(routes(rng))
        name = f"ОПГ «{rng.choice(GROUP_WORDS)}-{n + 1}» (OCG {n + 1}, {corridor})"
        row = ctx.shared(oid, agency, ctx.random_time(),
                         rng.choice((Distribution.partners, Distribution.all,
                                     Distribution.country)))
        row.update(name=name, search_key=search_key(name)[:300], kind="criminal_group",
                   country=country,
                   notes=f"{SYNTHETIC} Criminal group active on the {corridor} corridor.")
        ctx.writer.add("organisations", row)
        if rng.random() < 0.6:  # the group's shared "work" phone
            number = phone_number(rng, country)
            phone = ctx.shared(ctx.ids.next("phone"), agency, row["created_at"])
            phone.update(number=number, number_key=identifier_key(number), person_id=None,
                         organisation_id=oid)
            ctx.writer.add("phones", phone)
        ctx.writer.maybe_flush()
        ctx.groups.append((oid, corridor, []))
    for n in range(ctx.sizes.companies):
        oid = ctx.ids.of("organisation", ctx.sizes.groups + n)
        country = ctx.member_country(rng.choice(("KZ", "KZ", "RU", "RU", "KG", "UZ", "BY")))
        prefix = {"KZ": "ТОО", "RU": "ООО", "BY": "ООО", "KG": "ОсОО", "UZ": "ООО"}.get(
            country, "ООО")
        name = f"{prefix} «{rng.choice(COMPANY_WORDS)}-{n + 1}»"
        agency = recording_agency(ctx, country, K.customs)
        row = ctx.shared(oid, agency, ctx.random_time())
        row.update(name=name, search_key=search_key(name)[:300], kind="company",
                   country=country, notes=f"{SYNTHETIC} Transport company.")
        ctx.writer.add("organisations", row)
        ctx.writer.maybe_flush()
        ctx.companies.append(oid)


# -- persons -------------------------------------------------------------------------------
DUPLICATE_RATE = 0.08  # share of person records that re-record an earlier person elsewhere
_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
RU_PLATE_LETTERS = "АВЕКМНОРСТУХ"


def document_number(rng: random.Random, country: str, kind: DocumentKind) -> str:
    """A number in an obviously synthetic range: the serial part always starts with 00."""
    d = "".join(rng.choices(string.digits, k=7))
    if kind == DocumentKind.driving_licence:
        return f"DL00{d[:6]}"
    if kind == DocumentKind.id_card:
        return f"00{d}"
    return {
        "KZ": f"N00{d[:6]}", "RU": f"00 {d}", "BY": f"MP00{d[:5]}", "KG": f"AC00{d[:5]}",
        "UZ": f"FA00{d[:5]}", "TJ": f"00{d}",
    }.get(country, f"ZZ00{d[:6]}")


PHONE_PREFIX = {"KZ": ("+7 701", "+7 705", "+7 747", "+7 777"), "RU": ("+7 903", "+7 916",
                "+7 927", "+7 999"), "BY": ("+375 29", "+375 33"), "KG": ("+996 555", "+996 700"),
                "UZ": ("+998 90", "+998 93"), "TJ": ("+992 93", "+992 91"),
                "TM": ("+993 65",), "AZ": ("+994 50",)}


def phone_number(rng: random.Random, country: str) -> str:
    # Subscriber numbers 555-xx-xx: the classic fictitious range.
    prefix = rng.choice(PHONE_PREFIX.get(country, ("+7 700",)))
    return f"{prefix} 555 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"


def _birth(rng: random.Random, who: Identity, variant: bool) -> tuple[int, int | None, int | None]:
    r = rng.random()
    if variant and r < 0.05:
        return who.birth_year, 1, 1  # 01-01 placeholder
    if r < 0.17:
        return who.birth_year, None, None  # year only
    if r < 0.25:
        return who.birth_year, who.birth_month, None
    return who.birth_year, who.birth_month, who.birth_day


def persons(ctx: Ctx) -> None:
    rng, ids, w = ctx.rng, ctx.ids, ctx.writer
    n_total = ctx.sizes.persons
    nationality = Chooser(NATIONALITY_WEIGHTS)
    member_pick = Chooser([(c, NATIONALITY_WEIGHTS.get(c, 1)) for c in ctx.members])
    recent: deque[tuple[int, Identity, str, str]] = deque(maxlen=400)
    extra_docs = 0
    stage = Stage(ctx.progress, "persons", n_total, ctx.batch)
    for i in range(n_total):
        pid = ids.of("person", i)
        variant = bool(recent) and rng.random() < DUPLICATE_RATE
        if variant:
            cluster, who, passport, first_country = rng.choice(recent)
            country = first_country
            if rng.random() < 0.7:
                country = str(member_pick(rng))
        else:
            who = make_identity(rng, str(nationality(rng)), (1955, 2005))
            cluster = i
            passport = document_number(rng, who.nationality, DocumentKind.passport)
            country = (who.nationality if who.nationality in ctx.members and rng.random() < 0.6
                       else str(member_pick(rng)))
            recent.append((i, who, passport, country))
        ctx.person_countries.append(who.nationality)
        agency = recording_agency(ctx, country)
        ctx.person_owners.append(agency)
        names = render_names(rng, who, agency.country, variant=variant)
        year, month, day = _birth(rng, who, variant)
        cities = ctx.cities_by_country.get(who.nationality) or []
        birth_place = rng.choice(cities[:25]).name if cities and rng.random() < 0.7 else ""
        poi = i % 4 == 0
        hit_only = poi and rng.random() < 0.015
        when = ctx.random_time()
        row = ctx.shared(pid, agency, when, Distribution.all if hit_only else None,
                         hit_only=hit_only, external_ref=f"SYN-P{cluster:07d}")
        nationalities = [who.nationality]
        if rng.random() < 0.02:
            second = [c for c in ("RU", "KZ", "KG") if c != who.nationality]
            nationalities.append(rng.choice(second))
        row.update(display_name=names[0].full_name, sex=Sex.female if who.female else Sex.male,
                   birth_year=year, birth_month=month, birth_day=day, birth_place=birth_place,
                   nationalities=nationalities,
                   notes=SYNTHETIC + (" Watch: person of interest." if poi else ""))
        w.add("persons", row)
        for pos, name in enumerate(names):
            w.add("person_names", {
                "id": ids.next("person_name"), "person_id": pid, "position": pos,
                "full_name": name.full_name, "surname": name.surname,
                "given_name": name.given_name, "patronymic": name.patronymic,
                "script": name.script, "kind": name.kind, "search_key": search_key(name.full_name),
            })
        # The search index of names in any script (what the persons service maintains).
        for token in sorted({t[:60] for n in names for t in name_tokens(n.full_name)}):
            w.add("person_name_tokens", {"token": token, "person_id": pid})
        number = passport
        if variant and rng.random() < 0.3:  # written differently: same number key
            cut = passport.index("00") + 2
            number = (passport.replace(" ", "") if " " in passport
                      else f"{passport[:cut]} {passport[cut:]}")
        elif variant and rng.random() < 0.2:
            number = document_number(rng, who.nationality, DocumentKind.passport)
        issued = date(max(who.birth_year + 16, ctx.years[0] - 9), 1, 1) + timedelta(
            days=rng.randint(0, 3000))
        _document(ctx, ids.of("document", i), pid, agency, when, DocumentKind.passport, number,
                  who.nationality, issued)
        if rng.random() < 0.3:
            kind = (DocumentKind.id_card if who.nationality in ("KZ", "KG", "UZ", "BY")
                    else DocumentKind.driving_licence)
            _document(ctx, ids.of("document", n_total + extra_docs), pid, agency, when, kind,
                      document_number(rng, who.nationality, kind), who.nationality,
                      issued + timedelta(days=rng.randint(0, 900)))
            extra_docs += 1
        if rng.random() < (0.6 if poi else 0.25):
            number = phone_number(rng, who.nationality)
            row = ctx.shared(ids.next("phone"), agency, when)
            row.update(number=number, number_key=identifier_key(number), person_id=pid,
                       organisation_id=None)
            w.add("phones", row)
        w.maybe_flush()
        stage.tick(i + 1)
    w.flush()
    stage.end()


def _document(ctx: Ctx, did: uuid.UUID, pid: uuid.UUID, agency: AgencyInfo, when: datetime,
              kind: DocumentKind, number: str, country: str, issued: date) -> None:
    row = ctx.shared(did, agency, when)
    row.update(kind=kind, number=number, number_key=identifier_key(number),
               issuing_country=country, issued_on=issued,
               expires_on=issued + timedelta(days=3652), person_id=pid)
    ctx.writer.add("documents", row)


MEMBER_ROLES = Chooser({"member": 50, "courier": 25, "driver": 12, "organiser": 8,
                        "financier": 5})


def memberships(ctx: Ctx) -> None:
    """Members of the criminal groups, drawn from the persons of interest (every 4th person)."""
    rng = ctx.rng
    n_poi = (ctx.sizes.persons + 3) // 4
    if not n_poi:
        return
    for gid, _corridor, members in ctx.groups:
        size = min(n_poi, rng.randint(4, 18))
        chosen = sorted({rng.randrange(n_poi) * 4 for _ in range(size)})
        members.extend(chosen)
        for k, person in enumerate(chosen):
            since = ctx.random_time().date()
            ctx.writer.add("memberships", {
                "id": ctx.ids.next("membership"), "organisation_id": gid,
                "person_id": ctx.ids.of("person", person),
                "role": "leader" if k == 0 else MEMBER_ROLES(rng), "since": since,
                "until": since + timedelta(days=rng.randint(200, 1500))
                if rng.random() < 0.15 else None,
            })
            ctx.writer.maybe_flush()
    # Directors and drivers of the transport companies (any person, not only of interest).
    for cid in ctx.companies:
        for k in range(rng.randint(1, 4)):
            ctx.writer.add("memberships", {
                "id": ctx.ids.next("membership"), "organisation_id": cid,
                "person_id": ctx.ids.of("person", rng.randrange(ctx.sizes.persons)),
                "role": "director" if k == 0 else "driver",
                "since": ctx.random_time().date(), "until": None,
            })
            ctx.writer.maybe_flush()
    ctx.writer.flush()


# -- vehicles ------------------------------------------------------------------------------
VEHICLE_MODELS = {
    "car": (("Lada", "Granta", "XTA"), ("Lada", "Vesta", "XTA"), ("Toyota", "Camry", "JTN"),
            ("Toyota", "Land Cruiser", "JTM"), ("Chevrolet", "Cobalt", "XWB"),
            ("Hyundai", "Solaris", "Z94"), ("Kia", "Rio", "Z94"), ("Lexus", "LX 570", "JTJ"),
            ("Volkswagen", "Polo", "XW8")),
    "truck": (("KAMAZ", "5490", "XTC"), ("MAN", "TGX", "WMA"), ("Volvo", "FH", "YV2"),
              ("Scania", "R450", "YS2"), ("DAF", "XF", "XLR"), ("Howo", "T5G", "LZZ"),
              ("FAW", "J6", "LFW")),
    "van": (("GAZ", "Gazelle Next", "X96"), ("Mercedes-Benz", "Sprinter", "WDB"),
            ("Ford", "Transit", "X9F")),
    "bus": (("PAZ", "3205", "X1M"), ("Yutong", "ZK6122", "LZY")),
    "trailer": (("Schmitz", "SKO", "WSM"), ("Krone", "SD", "WKE")),
}
VEHICLE_KINDS = Chooser({"car": 50, "truck": 33, "van": 8, "bus": 3, "trailer": 6})
COLOURS = ("white", "black", "silver", "grey", "blue", "red", "green", "beige")
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def plate(rng: random.Random, country: str) -> str:
    """A plate in the country's format (Russian plates in Cyrillic)."""
    d3 = f"{rng.randint(1, 999):03d}"
    def latin(k: int) -> str:
        return "".join(rng.choices(_LETTERS, k=k))
    if country == "RU":
        let = "".join(rng.choices(RU_PLATE_LETTERS, k=3))
        return f"{let[0]}{d3}{let[1:]} {rng.choice((77, 50, 56, 74, 30, 55, 63, 174, 154))}"
    if country == "BY":
        return f"{rng.randint(1000, 9999)} {latin(2)}-{rng.randint(1, 7)}"
    if country == "KG":
        return f"{rng.choice((1, 2, 3, 6, 8)):02d} {d3} {latin(3)}"
    if country == "UZ":
        return f"{rng.choice((1, 10, 30, 40, 50, 60)):02d} {latin(1)} {d3} {latin(2)}"
    if country == "TJ":
        return f"{rng.randint(1000, 9999)} {latin(2)} {rng.choice((1, 2, 3, 4)):02d}"
    return f"{d3} {latin(3)} {rng.choice((1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 17)):02d}"


def vehicles(ctx: Ctx) -> None:
    rng = ctx.rng
    country_pick = Chooser([(c, NATIONALITY_WEIGHTS.get(c, 1)) for c in ctx.members])
    stage = Stage(ctx.progress, "vehicles", ctx.sizes.vehicles, ctx.batch)
    for n in range(ctx.sizes.vehicles):
        kind = str(VEHICLE_KINDS(rng))
        make, model, wmi = rng.choice(VEHICLE_MODELS[kind])
        country = str(country_pick(rng))
        number = plate(rng, country)
        vin = wmi + "".join(rng.choices(VIN_CHARS, k=14))
        tracker = seal = ""
        if kind == "truck":
            if rng.random() < 0.6:
                tracker = f"{rng.randint(10**14, 10**15 - 1)}"  # IMEI of a GLONASS/GPS tracker
            if rng.random() < 0.3:
                seal = f"ENP-{rng.randint(0, 9_999_999):07d}"  # electronic navigation seal
        agency = recording_agency(ctx, ctx.member_country(country, "KZ"),
                                  rng.choice((K.border, K.customs, K.police)))
        row = ctx.shared(ctx.ids.of("vehicle", n), agency, ctx.random_time())
        row.update(plate=number, plate_key=identifier_key(number), country=country, vin=vin,
                   kind=kind, make=make, model=model, colour=rng.choice(COLOURS),
                   tracker_id=tracker, seal_id=seal)
        ctx.writer.add("vehicles", row)
        ctx.writer.maybe_flush()
        stage.tick(n + 1)
    ctx.writer.flush()
    stage.end()


# -- watchlist -----------------------------------------------------------------------------
WATCH_ACTIONS = Chooser({"discreet_check": 30, "specific_check": 25, "inform_owner": 20,
                         "arrest": 12, "refuse_entry": 13})
WATCH_REASONS = {
    "discreet_check": "Suspected courier ({corridor}): record travel and companions.",
    "specific_check": "Search the vehicle and luggage: suspected concealment of drugs.",
    "inform_owner": "Person of interest in an ongoing investigation: inform the owner at once.",
    "arrest": "Wanted: arrest warrant issued; detain and inform the owner within 12 hours.",
    "refuse_entry": "Entry ban in force: refuse entry.",
}


def watchlist(ctx: Ctx) -> None:
    """Watchlist entries on persons of interest, their passports and some vehicles (when the
    screening package is installed): what makes a checkpoint query hit."""
    if "watchlist_entries" not in ctx.writer.buffers or not ctx.sizes.persons:
        return
    rng = ctx.rng
    n_poi = (ctx.sizes.persons + 3) // 4
    routes = [c.name for c in corridors()]
    for n in range(max(1, ctx.sizes.persons // 50)):
        r = rng.random()
        person = rng.randrange(n_poi) * 4
        owner = ctx.person_owners[person]
        if r < 0.75:
            target_type, target = "person", ctx.ids.of("person", person)
        elif r < 0.9 or not ctx.sizes.vehicles:
            target_type, target = "document", ctx.ids.of("document", person)
        else:
            target_type = "vehicle"
            target = ctx.ids.of("vehicle", rng.randrange(ctx.sizes.vehicles))
            owner = recording_agency(ctx, rng.choice(ctx.members), K.border)
        action = str(WATCH_ACTIONS(rng))
        start = ctx.random_time()
        row = ctx.shared(ctx.ids.of("watchlist", n), owner, start,
                         rng.choice((Distribution.all, Distribution.all, Distribution.partners,
                                     Distribution.country)))
        reason = (WATCH_REASONS[action] if target_type != "vehicle" else
                  "Vehicle used by a courier network ({corridor}).")
        row.update(target_type=target_type, target_id=target,
                   reason=reason.format(corridor=rng.choice(routes)) + f" {SYNTHETIC}",
                   action=action, valid_from=start,
                   valid_until=start + timedelta(days=rng.randint(180, 1100)), active=True)
        ctx.writer.add("watchlist_entries", row)
        ctx.writer.maybe_flush()
    ctx.writer.flush()
