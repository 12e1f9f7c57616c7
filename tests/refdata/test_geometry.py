"""Geometry checks: the basemap is valid GeoJSON, border sections and checkpoints sit on the
borders they claim."""

from __future__ import annotations

from functools import cache
from math import cos, radians

import pytest
from shapely import LineString, Point, affinity, unary_union
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from shekara import refdata
from shekara.refdata.loaders import read_text

KM_PER_DEGREE = 111.0


@cache
def _country_shapes() -> dict[str, BaseGeometry]:
    out: dict[str, BaseGeometry] = {}
    for feature in refdata.load_basemap()["features"]:
        code = feature["properties"].get("alpha2")
        if code:
            out[code] = shape(feature["geometry"])
    return out


@cache
def _border(a: str, b: str) -> BaseGeometry:
    """The shared border of two countries, taken from the border section lines."""
    lines = [
        LineString([(lon, lat) for lat, lon in line])
        for s in refdata.load_border_sections()
        if set(s.countries) == {a, b}
        for line in s.lines
    ]
    if not lines:
        raise LookupError(f"no border section between {a} and {b}")
    return unary_union(lines)


def _km(geom: BaseGeometry, lat: float, lon: float) -> float:
    """Distance in km from a point to a geometry (degrees scaled at the point's latitude)."""
    point = Point(lon * cos(radians(lat)), lat)
    scaled = affinity.scale(geom, xfact=cos(radians(lat)), yfact=1.0, origin=(0, 0))
    return float(point.distance(scaled)) * KM_PER_DEGREE


def test_basemap_is_valid_geojson() -> None:
    doc = refdata.load_basemap()
    assert doc["type"] == "FeatureCollection"
    assert len(read_text("basemap.geojson").encode()) < 1_500_000
    codes = set()
    for feature in doc["features"]:
        assert feature["type"] == "Feature"
        geom = shape(feature["geometry"])
        assert geom.geom_type in {"Polygon", "MultiPolygon"}
        assert geom.is_valid, feature["properties"]["name"]
        assert not geom.is_empty
        if feature["properties"].get("alpha2"):
            codes.add(feature["properties"]["alpha2"])
            names = feature["properties"]["names"]
            assert names["en"] and names["ru"] and names["kk"]
    assert codes == {c.alpha2 for c in refdata.load_countries()}


def test_basemap_contains_capitals() -> None:
    shapes = _country_shapes()
    capitals = {
        "KZ": (51.17, 71.43),
        "KG": (42.87, 74.59),
        "UZ": (41.31, 69.28),
        "TJ": (38.56, 68.78),
        "TM": (37.95, 58.38),
        "AF": (34.53, 69.17),
        "RU": (55.75, 37.62),
        "BY": (53.9, 27.57),
    }
    for code, (lat, lon) in capitals.items():
        assert shapes[code].contains(Point(lon, lat)), code


def test_cities_lie_in_their_country() -> None:
    shapes = _country_shapes()
    misplaced = [
        c.id
        for c in refdata.load_cities()
        if c.country in {"KZ", "KG", "UZ", "TJ", "TM"} and _km(shapes[c.country], c.lat, c.lon) > 10
    ]
    assert misplaced == []


def test_border_sections_lie_on_both_countries_border() -> None:
    shapes = _country_shapes()
    for section in refdata.load_border_sections():
        a, b = (shapes[code].boundary for code in section.countries)
        for line in section.lines:
            for lat, lon in line:
                assert _km(a, lat, lon) < 20, (section.id, lat, lon)
                assert _km(b, lat, lon) < 20, (section.id, lat, lon)


@pytest.mark.parametrize(
    ("kinds", "limit_km"),
    [({"road", "pedestrian", "simplified"}, 35.0), ({"rail"}, 80.0)],
)
def test_land_checkpoints_lie_near_their_border(kinds: set[str], limit_km: float) -> None:
    for cp in refdata.load_checkpoints():
        if cp.kind not in kinds or cp.neighbour is None:
            continue
        distance = _km(_border(cp.country, cp.neighbour), cp.lat, cp.lon)
        limit = limit_km if cp.precision in {"settlement", "rough"} else 10.0
        assert distance < limit, (cp.id, round(distance, 1))


def test_checkpoint_sides() -> None:
    """A land checkpoint lies in, or within a few km of, the country that operates it."""
    shapes = _country_shapes()
    for cp in refdata.load_checkpoints():
        assert _km(shapes[cp.country], cp.lat, cp.lon) < 12, cp.id
