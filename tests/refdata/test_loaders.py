"""Every reference data file loads, and its records are complete and consistent."""

from __future__ import annotations

import re
from math import cos, hypot, radians
from statistics import mean

import pytest

from shekara import refdata
from shekara.refdata.loaders import index_by_id, read_text

CYRILLIC = re.compile(r"^[\u0400-\u04FF0-9 .,()«»\"'’\-–—/№]+$")
KAZAKH_ALPHABET = set("аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя")
KAZAKH_ONLY = set("әғқңөұүһі")
RUSSIAN_ALPHABET = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")


def _kazakh_script(text: str) -> bool:
    """Only letters of the Kazakh Cyrillic alphabet (plus spaces, digits and punctuation)."""
    return all(not ch.isalpha() or ch in KAZAKH_ALPHABET for ch in text.lower())


def _all_named() -> list[tuple[str, refdata.Names]]:
    out: list[tuple[str, refdata.Names]] = []
    out += [(f"country {c.alpha2}", c.names) for c in refdata.load_countries()]
    out += [(f"region {r.id}", r.names) for r in refdata.load_regions()]
    out += [(f"city {c.id}", c.names) for c in refdata.load_cities()]
    out += [(f"checkpoint {c.id}", c.names) for c in refdata.load_checkpoints()]
    out += [(f"section {s.id}", s.names) for s in refdata.load_border_sections()]
    out += [(f"corridor {c.id}", c.names) for c in refdata.load_corridors()]
    return out


def test_counts() -> None:
    assert len(refdata.load_countries()) == 13
    assert 60 <= len(refdata.load_checkpoints()) <= 120
    assert len(refdata.load_cities()) > 1500
    assert len(refdata.load_regions()) >= 60
    assert len(refdata.load_border_sections()) >= 15
    assert len(refdata.load_corridors()) >= 8


def test_loaders_are_cached() -> None:
    assert refdata.load_checkpoints() is refdata.load_checkpoints()
    assert refdata.load_cities() is refdata.load_cities()


def test_ids_unique() -> None:
    for items in (
        refdata.load_regions(),
        refdata.load_cities(),
        refdata.load_checkpoints(),
        refdata.load_border_sections(),
        refdata.load_corridors(),
    ):
        assert len(index_by_id(items)) == len(items)
    codes = [c.alpha2 for c in refdata.load_countries()]
    assert len(set(codes)) == len(codes)


def test_country_codes() -> None:
    by_code = refdata.countries_by_code()
    assert by_code["KZ"].alpha3 == "KAZ" and by_code["KZ"].numeric == "398"
    assert by_code["RU"].alpha3 == "RUS" and by_code["RU"].numeric == "643"
    assert by_code["AF"].numeric == "004"
    for c in refdata.load_countries():
        assert re.fullmatch(r"[A-Z]{2}", c.alpha2)
        assert re.fullmatch(r"[A-Z]{3}", c.alpha3)
        assert re.fullmatch(r"[0-9]{3}", c.numeric)
        assert c.bbox is not None
        assert c.contains(c.centroid_lat, c.centroid_lon)


def test_every_record_has_three_names() -> None:
    for where, names in _all_named():
        assert names.en.strip() and names.ru.strip() and names.kk.strip(), where
        assert names.get("kk") == names.kk and names.get("fr") == names.en


def test_curated_names_are_cyrillic() -> None:
    curated: list[tuple[str, refdata.Names]] = [
        (w, n) for w, n in _all_named() if not w.startswith("city ")
    ]
    for where, names in curated:
        assert CYRILLIC.match(names.ru), (where, names.ru)
        assert CYRILLIC.match(names.kk), (where, names.kk)
        assert _kazakh_script(names.kk), (where, names.kk)


def test_kazakh_names_use_kazakh_letters() -> None:
    kz_regions = [r for r in refdata.load_regions() if r.country == "KZ"]
    with_special = [r for r in kz_regions if KAZAKH_ONLY & set(r.names.kk.lower())]
    assert len(with_special) >= len(kz_regions) * 0.6
    assert refdata.countries_by_code()["KZ"].names.kk == "Қазақстан"
    kz_checkpoints = [c for c in refdata.load_checkpoints() if c.country == "KZ"]
    special = [c for c in kz_checkpoints if KAZAKH_ONLY & set(c.names.kk.lower())]
    assert len(special) >= len(kz_checkpoints) * 0.5


def test_city_names_follow_documented_rules() -> None:
    for city in refdata.load_cities():
        src = city.name_sources
        if src.ru == "fallback:en":
            assert city.names.ru == city.names.en
        else:
            assert CYRILLIC.match(city.names.ru), city
        if src.kk == "fallback:ru":
            assert city.names.kk == city.names.ru
        elif src.kk.startswith("geonames"):
            assert _kazakh_script(city.names.kk), city
            assert KAZAKH_ONLY & set(city.names.kk.lower()), city
    cities = refdata.cities_by_id()
    almaty = cities["gn-1526384"]
    assert (almaty.names.en, almaty.names.ru, almaty.names.kk) == ("Almaty", "Алматы", "Алматы")
    oral = cities["gn-608668"]
    assert (oral.names.ru, oral.names.kk) == ("Уральск", "Орал")


def test_cities() -> None:
    regions = refdata.regions_by_id()
    for city in refdata.load_cities():
        assert city.population >= 15000
        assert city.precision == "exact"
        assert refdata.countries_by_code()[city.country].contains(city.lat, city.lon, 0.5), city
        if city.region is not None:
            assert regions[city.region].country == city.country
        if city.country in {"KZ", "KG", "UZ", "TJ", "TM"}:
            assert city.region is not None, city


def test_regions() -> None:
    by_code = refdata.countries_by_code()
    for region in refdata.load_regions():
        assert by_code[region.country].contains(region.lat, region.lon), region
    kz = [r for r in refdata.load_regions() if r.country == "KZ"]
    assert len(kz) == 21  # 17 regions, 3 cities of republican significance, Baikonur
    ru = {r.id for r in refdata.load_regions() if r.country == "RU"}
    assert {"ru-astrakhan", "ru-orenburg", "ru-omsk", "ru-altai-krai"} <= ru


def test_checkpoints() -> None:
    by_code = refdata.countries_by_code()
    kinds = set()
    for cp in refdata.load_checkpoints():
        for code in cp.countries:
            assert code in by_code, cp
        assert cp.countries[0] == cp.country
        assert cp.kind in refdata.CHECKPOINT_KINDS and cp.modes[0] == cp.kind
        assert set(cp.modes) <= set(refdata.CHECKPOINT_KINDS)
        assert cp.precision in refdata.PRECISIONS
        assert cp.source
        assert by_code[cp.country].contains(cp.lat, cp.lon, 0.3), cp
        if cp.kind in {"air", "sea"}:
            assert len(cp.countries) == 1
        else:
            assert len(cp.countries) == 2 and cp.neighbour is not None
            assert by_code[cp.neighbour].contains(cp.lat, cp.lon, 1.0), cp
        kinds.add(cp.kind)
    assert {"road", "rail", "air", "sea", "pedestrian"} <= kinds
    ids = refdata.checkpoints_by_id()
    for must in (
        "zhaisan",
        "korday",
        "zhibek-zholy",
        "khorgos-nur-zholy",
        "dostyk",
        "nizhny-panj",
        "termez-ayritom",
        "ala-airport",
        "aktau-port",
    ):
        assert must in ids
    kz_ru = [c for c in refdata.load_checkpoints() if set(c.countries) == {"KZ", "RU"}]
    assert len(kz_ru) >= 20


def test_checkpoint_counterparts() -> None:
    ids = refdata.checkpoints_by_id()
    linked = 0
    for cp in refdata.load_checkpoints():
        if cp.counterpart_id is None:
            continue
        other = ids[cp.counterpart_id]
        assert other.country == cp.neighbour and other.neighbour == cp.country
        assert cp.counterpart is not None and other.names.ru in cp.counterpart
        linked += 1
    assert linked >= 30
    assert ids["zhaisan"].counterpart_id == "sagarchin"
    assert ids["sagarchin"].counterpart_id == "zhaisan"


def test_corridors_refer_to_existing_places() -> None:
    for corridor in refdata.load_corridors():
        assert len(corridor.places) >= 3
        for ref in corridor.places:
            place = refdata.resolve_place(ref)
            assert place.id == ref.partition(":")[2]
        assert corridor.commodities
        assert len(corridor.seasonality) == 12
        assert all(w > 0 for w in corridor.seasonality)
        assert mean(corridor.seasonality) == pytest.approx(1.0, abs=0.02)
    with pytest.raises(KeyError):
        refdata.resolve_place("checkpoint:nowhere")
    with pytest.raises(KeyError):
        refdata.resolve_place("korday")


def test_border_sections_shape() -> None:
    by_code = refdata.countries_by_code()
    for section in refdata.load_border_sections():
        a, b = section.countries
        assert a in by_code and b in by_code
        assert section.impact_level in refdata.IMPACT_LEVELS
        assert section.precision == "approximate"
        assert section.length_km > 0
        for line in section.lines:
            assert 2 <= len(line) <= 80
            for lat, lon in line:
                assert by_code[a].contains(lat, lon, 0.2) and by_code[b].contains(lat, lon, 0.2)
    kz_ru = [s for s in refdata.load_border_sections() if s.id.startswith("kz-ru-")]
    parts = [s for s in kz_ru if s.id != "kz-ru-all"]
    assert len(parts) == 8
    for first, second in zip(parts, parts[1:], strict=False):
        assert first.lines[0][-1] == pytest.approx(second.lines[0][0], abs=1e-3)


def test_files_are_utf8_json_without_bom() -> None:
    for name in (
        "countries.json",
        "regions.json",
        "cities.json",
        "checkpoints.json",
        "border_sections.json",
        "corridors.json",
        "basemap.geojson",
        "names/patronymics.json",
    ):
        assert not read_text(name).startswith("\ufeff")


def test_region_points_are_near_their_cities() -> None:
    """Each region's representative point lies within 300 km of its cities' weighted centre."""
    cities = refdata.load_cities()
    for region in refdata.load_regions():
        members = [c for c in cities if c.region == region.id]
        assert members, region.id
        total = sum(c.population for c in members)
        lat = sum(c.lat * c.population for c in members) / total
        lon = sum(c.lon * c.population for c in members) / total
        dx = (lon - region.lon) * 111.0 * cos(radians(lat))
        dy = (lat - region.lat) * 111.0
        assert hypot(dx, dy) < 300, region.id
