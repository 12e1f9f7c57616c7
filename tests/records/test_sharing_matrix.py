"""Every resource through anonymous, wrong-role, foreign, partner, same-country and owner users.

An invisible record must answer exactly like one that does not exist, and must not leak through
a list, a count, a search hit, a statistic or an export.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from shekara.records.registry import RESOURCES
from tests.conftest import World
from tests.records.factories import create

OWNER = "kz-officer"
# A term that finds each factory record through the search across everything.
SEARCH_TERMS = {
    "persons": "NURGALIEV", "documents": "N0123456", "phones": "77015550101",
    "vehicles": "123ABC02", "organisations": "Sever", "incidents": "gas cylinder",
    "cases": "KZ-2024-1", "sources": "Patrol report",
}


def sees(client: TestClient, world: World, user: str, resource: str, rid: str) -> bool:
    """Whether ``user`` sees the record in full, checked on every path; all paths must agree."""
    h = world.headers(user)
    detail = client.get(f"/api/v1/{resource}/{rid}", headers=h)
    assert detail.status_code in (200, 404), detail.text
    listed = client.get(f"/api/v1/{resource}?limit=500", headers=h).json()
    in_list = any(item["id"] == rid for item in listed["items"])
    if not in_list:
        assert listed["total"] == len(listed["items"]), "count leaks invisible records"
    full = detail.status_code == 200 and not detail.json().get("hit_only_notice", False)
    if detail.status_code == 404:
        missing = client.get(f"/api/v1/{resource}/{uuid.uuid4()}", headers=h)
        assert missing.status_code == 404
        assert detail.json()["errors"][0]["code"] == missing.json()["errors"][0]["code"]
    assert in_list == full, f"list and detail disagree for {user}"
    if resource in SEARCH_TERMS:
        hits = client.get("/api/v1/search", params={"q": SEARCH_TERMS[resource],
                                                    "types": resource, "limit": 100}, headers=h)
        assert hits.status_code == 200, hits.text
        found = [x for x in hits.json()["hits"] if x["id"] == rid]
        assert bool(found) == full, f"search and detail disagree for {user}"
    return full


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_anonymous_sees_nothing(client: TestClient, world: World, resource: str) -> None:
    rid = create(client, world, OWNER, resource, distribution="all")
    assert client.get(f"/api/v1/{resource}/{rid}").status_code == 401
    assert client.get(f"/api/v1/{resource}").status_code == 401
    assert client.post(f"/api/v1/{resource}", json={}).status_code in (401, 422)
    assert client.get("/api/v1/search?q=test").status_code == 401
    assert (
        client.get(
            f"/api/v1/{resource}/{rid}", headers={"Authorization": "Bearer forged"}
        ).status_code
        == 401
    )


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_wrong_role_sees_nothing(client: TestClient, world: World, resource: str) -> None:
    rid = create(client, world, OWNER, resource, distribution="all")
    h = world.headers("admin")  # administrators manage reference data, they do not read records
    assert client.get(f"/api/v1/{resource}/{rid}", headers=h).status_code == 403
    assert client.get(f"/api/v1/{resource}", headers=h).status_code == 403
    # analysts read but do not write
    r = client.patch(f"/api/v1/{resource}/{rid}", json={}, headers=world.headers("kz-analyst"))
    assert r.status_code == 403


@pytest.mark.parametrize("resource", sorted(RESOURCES))
@pytest.mark.parametrize(
    ("sharing", "expected"),
    [
        (
            {"distribution": "agency"},
            {"kz-officer2": True, "kz-police": False, "ru-analyst": False, "kg-officer": False},
        ),
        (
            {"distribution": "country"},
            {"kz-officer2": True, "kz-police": True, "ru-analyst": False, "kg-officer": False},
        ),
        (
            {"distribution": "partners", "partner_countries": ["RU"]},
            {"kz-officer2": True, "kz-police": True, "ru-analyst": True, "kg-officer": False},
        ),
        (
            {"distribution": "partners", "partner_agencies": ["KG-POL"]},
            {"kz-police": True, "ru-analyst": False, "kg-officer": True},
        ),
        ({"distribution": "all"}, {"kz-police": True, "ru-analyst": True, "kg-officer": True}),
    ],
    ids=["agency", "country", "partner-country", "partner-agency", "all"],
)
def test_distribution(
    client: TestClient,
    world: World,
    resource: str,
    sharing: dict[str, object],
    expected: dict[str, bool],
) -> None:
    rid = create(client, world, OWNER, resource, **sharing)
    assert sees(client, world, OWNER, resource, rid)
    for user, visible in expected.items():
        assert sees(client, world, user, resource, rid) is visible, user


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_only_owner_agency_edits(client: TestClient, world: World, resource: str) -> None:
    rid = create(client, world, OWNER, resource, distribution="all")
    same_country = client.patch(
        f"/api/v1/{resource}/{rid}", json={"handling_note": "x"}, headers=world.headers("kz-police")
    )
    assert same_country.status_code == 403
    foreign = client.delete(f"/api/v1/{resource}/{rid}", headers=world.headers("ru-officer"))
    assert foreign.status_code == 403
    own = client.patch(
        f"/api/v1/{resource}/{rid}",
        json={"handling_note": "checked"},
        headers=world.headers("kz-officer2"),
    )
    assert own.status_code == 200, own.text
    assert own.json()["sharing"]["handling_note"] == "checked"


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_hit_only_gives_notice_only(client: TestClient, world: World, resource: str) -> None:
    rid = create(client, world, OWNER, resource, distribution="all", hit_only=True)
    h = world.headers("ru-analyst")
    r = client.get(f"/api/v1/{resource}/{rid}", headers=h)
    assert r.status_code == 200
    body = r.json()
    assert body["hit_only"] is True
    assert body["owner_agency"]["code"] == "KZ-BS"
    assert body["owner_agency"]["contact"]
    assert set(body) == {"id", "type", "hit_only", "owner_agency", "message"}
    listed = client.get(f"/api/v1/{resource}?limit=500", headers=h).json()
    assert all(i["id"] != rid for i in listed["items"])
    # the owner still sees everything
    own = client.get(f"/api/v1/{resource}/{rid}", headers=world.headers(OWNER)).json()
    assert "sharing" in own
