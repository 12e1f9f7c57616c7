"""Places administration: cities, regions and border sections, names in three languages."""

from __future__ import annotations

import json

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.audit.models import AuditEntry
from shekara.places.models import Place
from tests.conftest import World
from tests.web.helpers import csrf, login

LINE = {"type": "LineString", "coordinates": [[69.1, 41.3], [69.6, 41.2], [70.0, 41.0]]}


def _post(
    client: TestClient,
    path: str,
    data: dict[str, str],
    files: dict[str, tuple[str, bytes, str]] | None = None,
) -> httpx.Response:
    r: httpx.Response = client.post(
        path,
        data={**data, "csrf_token": csrf(client, "/admin/places")},
        files=files,
        follow_redirects=False,
    )
    return r


def _section(**extra: str) -> dict[str, str]:
    return {
        "kind": "border_section",
        "code": "kz-uz-test",
        "name_en": "Saryagash sector",
        "name_ru": "Сарыагашский участок",
        "name_kk": "Сарыағаш учаскесі",
        "country": "KZ",
        "country2": "UZ",
        "impact_level": "high",
        **extra,
    }


def test_add_a_border_section_pasted_and_edit_it(
    client: TestClient, world: World, session: Session
) -> None:
    login(client, "admin")
    page = client.get("/admin/places?kind=border_section").text
    assert "Add a border section" in page and 'name="geometry"' in page
    r = _post(client, "/admin/places", _section(geometry=json.dumps(LINE)))
    assert r.status_code == 303, r.text[:3000]
    place = session.execute(select(Place).where(Place.code == "kz-uz-test")).scalar_one()
    assert place.impact_level is not None and place.impact_level.value == "high"
    assert place.geometry == LINE and place.name_kk == "Сарыағаш учаскесі"
    login(client, "kz-officer")  # on the map for everyone
    gj = client.get("/map/places.geojson?kind=border_section").json()
    assert any(f["properties"]["code"] == "kz-uz-test" for f in gj["features"])
    login(client, "admin")
    form = client.get(f"/admin/places/{place.id}").text
    assert "Сарыағаш учаскесі" in form and "LineString" in form
    polygon = {
        "type": "Feature",
        "properties": {},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[69, 41], [70, 41], [70, 42], [69, 42], [69, 41]]],
        },
    }
    r = _post(
        client,
        f"/admin/places/{place.id}",
        {
            "name_en": "Saryagash",
            "name_ru": "Сарыагаш",
            "name_kk": "Сарыағаш",
            "impact_level": "critical",
            "geometry": json.dumps(polygon),
        },
    )
    assert r.status_code == 303, r.text[:3000]
    session.refresh(place)
    assert place.name_ru == "Сарыагаш" and place.impact_level.value == "critical"
    assert place.geometry == polygon["geometry"]
    entry = session.execute(
        select(AuditEntry).where(AuditEntry.action == "update", AuditEntry.record_id == place.id)
    ).scalar_one()
    assert entry.before and entry.before["name_ru"] == "Сарыагашский участок"
    assert entry.after and entry.after["impact_level"] == "critical"


def test_geometry_from_an_uploaded_file(client: TestClient, world: World, session: Session) -> None:
    login(client, "admin")
    body = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
                       "properties": {}, "geometry": LINE}]}).encode()  # fmt: skip
    r = _post(
        client,
        "/admin/places",
        _section(code="kz-uz-file", geometry=""),
        files={"geometry_file": ("section.geojson", body, "application/geo+json")},
    )
    assert r.status_code == 303, r.text[:3000]
    place = session.execute(select(Place).where(Place.code == "kz-uz-file")).scalar_one()
    assert place.geometry == LINE


def test_bad_geometry_says_what_is_wrong_and_saves_nothing(
    client: TestClient, world: World, session: Session
) -> None:
    login(client, "admin")
    cases = {
        '{"type": "LineString", "coordinates": [[69.1, 41.3], [69.6': "This is not GeoJSON",
        json.dumps({"type": "Point", "coordinates": [69, 41]}): "cannot be a border section",
        json.dumps({"type": "LineString", "coordinates": [[69.1]]}): "do not make a LineString",
        json.dumps(
            {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}
        ): "Self-intersection",
        json.dumps({"type": "LineString", "coordinates": [[41.3, 169.1], [41.2, 169.6]]}): (
            "longitude, latitude"
        ),
        "": "Paste the section",
    }
    for text, expected in cases.items():
        r = _post(client, "/admin/places", _section(geometry=text))
        assert r.status_code == 422, text
        assert expected in r.text, (text, r.text[:200])
        assert 'id="err-geometry"' in r.text and "Geometry (GeoJSON)" in r.text
        assert "Сарыагашский участок" in r.text  # what was typed stays
    assert session.execute(select(Place).where(Place.code == "kz-uz-test")).first() is None


def test_add_a_city_and_a_region_with_names_in_three_languages(
    client: TestClient, world: World, session: Session
) -> None:
    login(client, "admin")
    r = _post(
        client,
        "/admin/places",
        {
            "kind": "city",
            "code": "kz-shymkent",
            "name_en": "Shymkent",
            "name_ru": "Шымкент",
            "name_kk": "Шымкент",
            "country": "KZ",
            "lat": "42.3",
            "lon": "69.6",
        },
    )
    assert r.status_code == 303, r.text[:3000]
    r = _post(
        client,
        "/admin/places",
        {"kind": "region", "code": "kz-turkistan", "name_en": "Turkistan Region",
         "name_ru": "Туркестанская область", "name_kk": "Түркістан облысы", "country": "KZ"},
    )  # fmt: skip
    assert r.status_code == 303, r.text[:3000]
    page = client.get("/admin/places?kind=region").text
    assert "kz-turkistan" in page and "kz-shymkent" not in page
    client.post("/lang", data={"lang": "kk", "csrf_token": csrf(client, "/admin/places")})
    assert "Түркістан облысы" in client.get("/admin/places?kind=region").text
    client.post("/lang", data={"lang": "en", "csrf_token": csrf(client, "/admin/places")})
    city = session.execute(select(Place).where(Place.code == "kz-shymkent")).scalar_one()
    r = _post(
        client,
        f"/admin/places/{city.id}",
        {"name_en": "Shymkent", "name_ru": "Чимкент", "name_kk": "Шымкент", "lat": "42.3"},
    )
    assert r.status_code == 422 and "give both lat and lon" in r.text
    r = _post(client, f"/admin/places/{city.id}", {"name_en": "", "name_ru": "", "name_kk": ""})
    assert r.status_code == 422 and "Fill this in." in r.text


def test_only_administrators_manage_places(client: TestClient, world: World) -> None:
    login(client, "kz-supervisor")
    assert client.get("/admin/places?kind=city").status_code == 403
    place_id = world.checkpoint_id
    assert client.get(f"/admin/places/{place_id}").status_code == 403
    r = _post(client, f"/admin/places/{place_id}", {"name_en": "Hacked"})
    assert r.status_code == 403
