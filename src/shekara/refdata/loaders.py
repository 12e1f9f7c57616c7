"""Typed, cached loaders for the reference data files in ``shekara/refdata/data``.

Every loader reads its file once (``functools.cache``) through :mod:`importlib.resources` and
returns immutable objects: frozen dataclasses, tuples and read-only mappings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal, TypeVar, cast

Precision = Literal["exact", "approximate", "settlement", "rough"]
PRECISIONS: tuple[Precision, ...] = ("exact", "approximate", "settlement", "rough")
CHECKPOINT_KINDS: tuple[str, ...] = (
    "road",
    "rail",
    "air",
    "sea",
    "river",
    "pedestrian",
    "simplified",
)
IMPACT_LEVELS: tuple[str, ...] = ("low", "medium", "high", "critical")
LANGUAGES: tuple[str, ...] = ("en", "ru", "kk")
Sex = Literal["male", "female"]

_DATA_PACKAGE = "shekara.refdata"
_DATA_DIR = "data"


class RefDataError(ValueError):
    """A reference data file is missing a field or holds a value of the wrong type."""


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Names:
    """A place name in English, Russian and Kazakh."""

    en: str
    ru: str
    kk: str

    def get(self, lang: str) -> str:
        """The name in ``lang`` (``en``, ``ru`` or ``kk``); English for any other language."""
        if lang == "ru":
            return self.ru
        if lang == "kk":
            return self.kk
        return self.en


@dataclass(frozen=True, slots=True)
class Country:
    alpha2: str
    alpha3: str
    numeric: str
    names: Names
    centroid_lat: float
    centroid_lon: float
    centroid_precision: Precision
    bbox: tuple[float, float, float, float] | None
    """min_lon, min_lat, max_lon, max_lat (from Natural Earth), or None if not computed."""

    def contains(self, lat: float, lon: float, margin: float = 0.0) -> bool:
        """Whether the point lies inside the bounding box grown by ``margin`` degrees."""
        if self.bbox is None:
            return True
        min_lon, min_lat, max_lon, max_lat = self.bbox
        return (min_lat - margin <= lat <= max_lat + margin) and (
            min_lon - margin <= lon <= max_lon + margin
        )


@dataclass(frozen=True, slots=True)
class Region:
    id: str
    country: str
    geonames_admin1: str
    kind: str
    names: Names
    lat: float
    lon: float
    precision: Precision


@dataclass(frozen=True, slots=True)
class NameSources:
    """Where each of a city's names came from (``geonames:...``, ``override``, ``fallback:...``)."""

    en: str
    ru: str
    kk: str


@dataclass(frozen=True, slots=True)
class City:
    id: str
    geonameid: int
    country: str
    admin1: str
    region: str | None
    names: Names
    name_sources: NameSources
    lat: float
    lon: float
    precision: Precision
    population: int
    timezone: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    id: str
    kind: str
    modes: tuple[str, ...]
    country: str
    """The country whose services operate the checkpoint."""
    countries: tuple[str, ...]
    """(country, neighbour) for land crossings, (country,) for airports and ports."""
    names: Names
    counterpart: str | None
    """The facing checkpoint's name and country, e.g. ``Сагарчин (RU)``, where known."""
    counterpart_id: str | None
    """The facing checkpoint's id where it is in the data too."""
    lat: float
    lon: float
    precision: Precision
    source: str
    note: str

    @property
    def neighbour(self) -> str | None:
        return self.countries[1] if len(self.countries) > 1 else None


@dataclass(frozen=True, slots=True)
class BorderSection:
    id: str
    countries: tuple[str, str]
    names: Names
    impact_level: str
    precision: Precision
    note: str
    lines: tuple[tuple[tuple[float, float], ...], ...]
    """One or more polylines of (lat, lon) vertices."""
    length_km: int


@dataclass(frozen=True, slots=True)
class Corridor:
    id: str
    names: Names
    places: tuple[str, ...]
    """Ordered place references: ``city:<id>``, ``checkpoint:<id>`` or ``region:<id>``."""
    commodities: tuple[str, ...]
    seasonality: tuple[float, ...]
    """Twelve relative monthly weights, January first, mean 1.0."""
    precision: Precision
    note: str


@dataclass(frozen=True, slots=True)
class WeightedName:
    name: str
    weight: float


@dataclass(frozen=True, slots=True)
class Surname:
    male: str
    female: str
    weight: float

    def for_sex(self, sex: Sex) -> str:
        return self.female if sex == "female" else self.male


@dataclass(frozen=True, slots=True)
class NameList:
    code: str
    nationality: str
    language: str
    countries: tuple[str, ...]
    male_given: tuple[WeightedName, ...]
    female_given: tuple[WeightedName, ...]
    surnames: tuple[Surname, ...]
    patronymic_styles: tuple[tuple[str, float], ...]
    given_names_from: str | None
    note: str

    def given(self, sex: Sex) -> tuple[WeightedName, ...]:
        return self.female_given if sex == "female" else self.male_given


@dataclass(frozen=True, slots=True)
class SuffixRule:
    ending: str
    strip: int
    male: str
    female: str


@dataclass(frozen=True, slots=True)
class PatronymicStyle:
    name: str
    type: Literal["suffix", "word"]
    rules: tuple[SuffixRule, ...] = ()
    exceptions: Mapping[str, tuple[str, str]] = field(
        default_factory=lambda: MappingProxyType({}), compare=False
    )
    male_word: str = ""
    female_word: str = ""
    joined: bool = False

    def make(self, father_given: str, sex: Sex) -> str:
        """The patronymic of a child of ``sex`` whose father is called ``father_given``."""
        father = father_given.strip()
        if not father:
            raise ValueError("empty father's name")
        if self.type == "word":
            word = self.female_word if sex == "female" else self.male_word
            return f"{father}{word}" if self.joined else f"{father} {word}"
        exception = self.exceptions.get(father)
        if exception is not None:
            return exception[1] if sex == "female" else exception[0]
        low = father.lower()
        for rule in self.rules:
            if low.endswith(rule.ending):
                stem = father[: len(father) - rule.strip] if rule.strip else father
                return stem + (rule.female if sex == "female" else rule.male)
        raise ValueError(f"no patronymic rule for {father!r}")  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# Reading helpers
# ---------------------------------------------------------------------------------------------


def read_text(name: str) -> str:
    """The text of a data file, ``name`` relative to the data folder (e.g. ``names/kk.json``)."""
    node = resources.files(_DATA_PACKAGE).joinpath(_DATA_DIR)
    for part in name.split("/"):
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")


def read_json(name: str) -> Any:
    return json.loads(read_text(name))


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RefDataError(f"{where}: expected an object")
    return cast(dict[str, Any], value)


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise RefDataError(f"{where}: expected a list")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise RefDataError(f"{where}: expected a string")
    return value


def _opt_str(value: Any, where: str) -> str | None:
    return None if value is None else _str(value, where)


def _num(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RefDataError(f"{where}: expected a number")
    return float(value)


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RefDataError(f"{where}: expected an integer")
    return value


def _precision(value: Any, where: str) -> Precision:
    if value not in PRECISIONS:
        raise RefDataError(f"{where}: unknown precision {value!r}")
    return cast(Precision, value)


def _names(value: Any, where: str) -> Names:
    raw = _obj(value, where)
    return Names(
        en=_str(raw.get("en"), f"{where}.en"),
        ru=_str(raw.get("ru"), f"{where}.ru"),
        kk=_str(raw.get("kk"), f"{where}.kk"),
    )


def _records(name: str, key: str) -> list[dict[str, Any]]:
    doc = _obj(read_json(name), name)
    return [_obj(r, f"{name}:{key}[{i}]") for i, r in enumerate(_list(doc.get(key), name))]


T = TypeVar("T")


def index_by_id(items: Iterable[T]) -> Mapping[str, T]:
    """A read-only mapping from each item's ``id`` to the item; duplicate ids are an error."""
    out: dict[str, T] = {}
    for item in items:
        key = cast(str, getattr(item, "id"))  # noqa: B009 - generic over record types
        if key in out:
            raise RefDataError(f"duplicate id {key!r}")
        out[key] = item
    return MappingProxyType(out)


# ---------------------------------------------------------------------------------------------
# Loaders
# ---------------------------------------------------------------------------------------------


@cache
def load_countries() -> tuple[Country, ...]:
    out = []
    for rec in _records("countries.json", "countries"):
        where = f"countries.json:{rec.get('alpha2')}"
        centroid = _obj(rec.get("centroid"), f"{where}.centroid")
        bbox_raw = rec.get("bbox")
        bbox: tuple[float, float, float, float] | None = None
        if bbox_raw is not None:
            values = [_num(v, f"{where}.bbox") for v in _list(bbox_raw, f"{where}.bbox")]
            if len(values) != 4:
                raise RefDataError(f"{where}.bbox: expected four numbers")
            bbox = (values[0], values[1], values[2], values[3])
        out.append(
            Country(
                alpha2=_str(rec.get("alpha2"), where),
                alpha3=_str(rec.get("alpha3"), where),
                numeric=_str(rec.get("numeric"), where),
                names=_names(rec.get("names"), where),
                centroid_lat=_num(centroid.get("lat"), where),
                centroid_lon=_num(centroid.get("lon"), where),
                centroid_precision=_precision(centroid.get("precision"), where),
                bbox=bbox,
            )
        )
    return tuple(out)


@cache
def countries_by_code() -> Mapping[str, Country]:
    """Countries keyed by ISO 3166-1 alpha-2 code."""
    return MappingProxyType({c.alpha2: c for c in load_countries()})


@cache
def load_regions() -> tuple[Region, ...]:
    out = []
    for rec in _records("regions.json", "regions"):
        where = f"regions.json:{rec.get('id')}"
        out.append(
            Region(
                id=_str(rec.get("id"), where),
                country=_str(rec.get("country"), where),
                geonames_admin1=_str(rec.get("geonames_admin1"), where),
                kind=_str(rec.get("kind"), where),
                names=_names(rec.get("names"), f"{where}.names"),
                lat=_num(rec.get("lat"), where),
                lon=_num(rec.get("lon"), where),
                precision=_precision(rec.get("precision"), where),
            )
        )
    return tuple(out)


@cache
def load_cities() -> tuple[City, ...]:
    out = []
    for rec in _records("cities.json", "cities"):
        where = f"cities.json:{rec.get('id')}"
        sources = _obj(rec.get("name_sources"), f"{where}.name_sources")
        out.append(
            City(
                id=_str(rec.get("id"), where),
                geonameid=_int(rec.get("geonameid"), where),
                country=_str(rec.get("country"), where),
                admin1=_str(rec.get("admin1"), where),
                region=_opt_str(rec.get("region"), where),
                names=_names(rec.get("names"), f"{where}.names"),
                name_sources=NameSources(
                    en=_str(sources.get("en"), where),
                    ru=_str(sources.get("ru"), where),
                    kk=_str(sources.get("kk"), where),
                ),
                lat=_num(rec.get("lat"), where),
                lon=_num(rec.get("lon"), where),
                precision=_precision(rec.get("precision"), where),
                population=_int(rec.get("population"), where),
                timezone=_str(rec.get("timezone"), where),
            )
        )
    return tuple(out)


@cache
def load_checkpoints() -> tuple[Checkpoint, ...]:
    out = []
    for rec in _records("checkpoints.json", "checkpoints"):
        where = f"checkpoints.json:{rec.get('id')}"
        kind = _str(rec.get("kind"), where)
        if kind not in CHECKPOINT_KINDS:
            raise RefDataError(f"{where}: unknown kind {kind!r}")
        modes = tuple(_str(m, where) for m in _list(rec.get("modes"), where))
        countries = tuple(_str(c, where) for c in _list(rec.get("countries"), where))
        if not 1 <= len(countries) <= 2:
            raise RefDataError(f"{where}: expected one or two countries")
        out.append(
            Checkpoint(
                id=_str(rec.get("id"), where),
                kind=kind,
                modes=modes,
                country=_str(rec.get("country"), where),
                countries=countries,
                names=_names(rec.get("names"), f"{where}.names"),
                counterpart=_opt_str(rec.get("counterpart"), where),
                counterpart_id=_opt_str(rec.get("counterpart_id"), where),
                lat=_num(rec.get("lat"), where),
                lon=_num(rec.get("lon"), where),
                precision=_precision(rec.get("precision"), where),
                source=_str(rec.get("source"), where),
                note=_str(rec.get("note", ""), where),
            )
        )
    return tuple(out)


@cache
def load_border_sections() -> tuple[BorderSection, ...]:
    out = []
    for rec in _records("border_sections.json", "sections"):
        where = f"border_sections.json:{rec.get('id')}"
        countries = [_str(c, where) for c in _list(rec.get("countries"), where)]
        if len(countries) != 2:
            raise RefDataError(f"{where}: expected two countries")
        impact = _str(rec.get("impact_level"), where)
        if impact not in IMPACT_LEVELS:
            raise RefDataError(f"{where}: unknown impact level {impact!r}")
        lines = []
        for line in _list(rec.get("lines"), where):
            pts = []
            for pt in _list(line, where):
                pair = _list(pt, where)
                if len(pair) != 2:
                    raise RefDataError(f"{where}: expected [lat, lon] pairs")
                pts.append((_num(pair[0], where), _num(pair[1], where)))
            lines.append(tuple(pts))
        out.append(
            BorderSection(
                id=_str(rec.get("id"), where),
                countries=(countries[0], countries[1]),
                names=_names(rec.get("names"), f"{where}.names"),
                impact_level=impact,
                precision=_precision(rec.get("precision"), where),
                note=_str(rec.get("note", ""), where),
                lines=tuple(lines),
                length_km=_int(rec.get("length_km"), where),
            )
        )
    return tuple(out)


@cache
def load_corridors() -> tuple[Corridor, ...]:
    out = []
    for rec in _records("corridors.json", "corridors"):
        where = f"corridors.json:{rec.get('id')}"
        seasonality = tuple(_num(v, where) for v in _list(rec.get("seasonality"), where))
        if len(seasonality) != 12:
            raise RefDataError(f"{where}: seasonality needs 12 monthly weights")
        out.append(
            Corridor(
                id=_str(rec.get("id"), where),
                names=_names(rec.get("names"), f"{where}.names"),
                places=tuple(_str(p, where) for p in _list(rec.get("places"), where)),
                commodities=tuple(_str(c, where) for c in _list(rec.get("commodities"), where)),
                seasonality=seasonality,
                precision=_precision(rec.get("precision"), where),
                note=_str(rec.get("note", ""), where),
            )
        )
    return tuple(out)


NAME_LIST_CODES: tuple[str, ...] = ("kk", "ru", "uz", "ky", "tg", "tk", "az", "tt", "ko")


def _weighted(value: Any, where: str) -> tuple[WeightedName, ...]:
    out = []
    for item in _list(value, where):
        rec = _obj(item, where)
        out.append(WeightedName(_str(rec.get("name"), where), _num(rec.get("weight"), where)))
    return tuple(out)


@cache
def load_name_list(code: str) -> NameList:
    """The name list for a language code in :data:`NAME_LIST_CODES` (e.g. ``kk``)."""
    if code not in NAME_LIST_CODES:
        raise KeyError(code)
    where = f"names/{code}.json"
    doc = _obj(read_json(where), where)
    surnames = []
    for item in _list(doc.get("surnames"), where):
        rec = _obj(item, where)
        surnames.append(
            Surname(
                male=_str(rec.get("male"), where),
                female=_str(rec.get("female"), where),
                weight=_num(rec.get("weight"), where),
            )
        )
    styles = []
    for item in _list(doc.get("patronymic_styles"), where):
        rec = _obj(item, where)
        styles.append((_str(rec.get("style"), where), _num(rec.get("weight"), where)))
    return NameList(
        code=code,
        nationality=_str(doc.get("nationality"), where),
        language=_str(doc.get("language"), where),
        countries=tuple(_str(c, where) for c in _list(doc.get("countries"), where)),
        male_given=_weighted(doc.get("male_given"), where),
        female_given=_weighted(doc.get("female_given"), where),
        surnames=tuple(surnames),
        patronymic_styles=tuple(styles),
        given_names_from=_opt_str(doc.get("given_names_from"), where),
        note=_str(doc.get("note", ""), where),
    )


@cache
def load_name_lists() -> Mapping[str, NameList]:
    """All name lists keyed by language code."""
    return MappingProxyType({code: load_name_list(code) for code in NAME_LIST_CODES})


@cache
def load_patronymic_styles() -> Mapping[str, PatronymicStyle]:
    where = "names/patronymics.json"
    doc = _obj(read_json(where), where)
    out: dict[str, PatronymicStyle] = {}
    for name, raw in _obj(doc.get("styles"), where).items():
        rec = _obj(raw, f"{where}:{name}")
        kind = _str(rec.get("type"), where)
        if kind == "suffix":
            rules = tuple(
                SuffixRule(
                    ending=_str(r.get("ending"), where),
                    strip=_int(r.get("strip"), where),
                    male=_str(r.get("male"), where),
                    female=_str(r.get("female"), where),
                )
                for r in (_obj(x, where) for x in _list(rec.get("rules"), where))
            )
            exceptions: dict[str, tuple[str, str]] = {}
            for father, pair in _obj(rec.get("exceptions", {}), where).items():
                forms = [_str(f, where) for f in _list(pair, where)]
                if len(forms) != 2:
                    raise RefDataError(f"{where}:{name}: exception needs male and female forms")
                exceptions[father] = (forms[0], forms[1])
            out[name] = PatronymicStyle(
                name=name, type="suffix", rules=rules, exceptions=MappingProxyType(exceptions)
            )
        elif kind == "word":
            out[name] = PatronymicStyle(
                name=name,
                type="word",
                male_word=_str(rec.get("male"), where),
                female_word=_str(rec.get("female"), where),
                joined=bool(rec.get("joined", False)),
            )
        else:
            raise RefDataError(f"{where}:{name}: unknown type {kind!r}")
    return MappingProxyType(out)


def make_patronymic(father_given: str, sex: Sex, style: str = "russian") -> str:
    """Form a patronymic, e.g. ``make_patronymic("Сергей", "female")`` → ``"Сергеевна"``;
    ``make_patronymic("Нұрлан", "male", "kazakh")`` → ``"Нұрланұлы"``."""
    return load_patronymic_styles()[style].make(father_given, sex)


@cache
def load_basemap() -> Mapping[str, Any]:
    """The offline basemap as a parsed GeoJSON FeatureCollection (treat it as read-only)."""
    doc = _obj(read_json("basemap.geojson"), "basemap.geojson")
    if doc.get("type") != "FeatureCollection":
        raise RefDataError("basemap.geojson: expected a FeatureCollection")
    return MappingProxyType(doc)


@cache
def checkpoints_by_id() -> Mapping[str, Checkpoint]:
    return index_by_id(load_checkpoints())


@cache
def cities_by_id() -> Mapping[str, City]:
    return index_by_id(load_cities())


@cache
def regions_by_id() -> Mapping[str, Region]:
    return index_by_id(load_regions())


@cache
def border_sections_by_id() -> Mapping[str, BorderSection]:
    return index_by_id(load_border_sections())


@cache
def corridors_by_id() -> Mapping[str, Corridor]:
    return index_by_id(load_corridors())


Place = City | Checkpoint | Region


def resolve_place(ref: str) -> Place:
    """Resolve a corridor place reference such as ``checkpoint:korday`` or ``city:gn-1526384``."""
    kind, sep, ident = ref.partition(":")
    if not sep:
        raise KeyError(ref)
    if kind == "city":
        return cities_by_id()[ident]
    if kind == "checkpoint":
        return checkpoints_by_id()[ident]
    if kind == "region":
        return regions_by_id()[ident]
    raise KeyError(ref)
