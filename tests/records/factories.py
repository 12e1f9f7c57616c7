"""Minimal valid payloads for every resource (created through the API, as a user would)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import World


def create(client: TestClient, world: World, user: str, resource: str, **sharing: Any) -> str:
    payload = payload_for(client, world, user, resource)
    payload.update(sharing)
    r = client.post(f"/api/v1/{resource}", json=payload, headers=world.headers(user))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def payload_for(client: TestClient, world: World, user: str, resource: str) -> dict[str, Any]:
    if resource == "persons":
        return {"names": [{"full_name": "Нұрғалиев Ерлан"}], "birth_year": 1984}
    if resource == "documents":
        return {"kind": "passport", "number": "N 0123456", "issuing_country": "KZ"}
    if resource == "phones":
        return {"number": "+7 701 555 0101"}
    if resource == "vehicles":
        return {"plate": "123 АВС 02", "kind": "truck", "country": "KZ"}
    if resource == "organisations":
        return {"name": "Group Sever", "kind": "criminal_group"}
    if resource == "incidents":
        return {
            "category": "drug_trafficking",
            "occurred_at": "2024-05-14T06:30:00Z",
            "summary": "Heroin in a gas cylinder",
            "seizures": [{"commodity": "heroin", "quantity": "4.2", "unit": "kg"}],
        }
    if resource == "crossings":
        person = create(client, world, user, "persons")
        return {
            "direction": "entry",
            "crossed_at": "2024-05-14T06:00:00Z",
            "checkpoint_id": str(world.checkpoint_id),
            "person_id": person,
            "result": "cleared",
        }
    if resource == "cases":
        return {"number": "KZ-2024-1", "title": "Courier case"}
    if resource == "sources":
        return {"kind": "report", "title": "Patrol report 17"}
    raise AssertionError(resource)
