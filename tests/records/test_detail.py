"""A detail read loads its record through the driver on PostgreSQL (:mod:`shekara.records.detail`)
and through the ORM elsewhere: both give the same record, the same children, the same values
with the same Python types, and the same answer, for every resource and every audience."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from shekara.policy.sharing import visible
from shekara.records import detail
from shekara.records.registry import RESOURCES
from shekara.records.service import serialise
from tests.conftest import USERS, ViewerFactory, World
from tests.records.factories import create, payload_for

pytestmark = pytest.mark.postgres_only


def _record(client: TestClient, world: World, resource: str, **sharing: Any) -> str:
    payload = payload_for(client, world, "kz-officer", resource)
    if resource == "persons":
        payload["names"].append({"full_name": "NURGALIEV ERLAN", "kind": "passport"})
        payload.update(birth_month=3, nationalities=["KZ"])
    if resource == "incidents":
        person = create(client, world, "kz-officer", "persons")
        payload["involvements"] = [{"person_id": person, "role": "courier"}]
        payload["seizures"].append({"commodity": "hashish", "quantity": "12.5", "unit": "kg"})
    payload.update(sharing)
    r = client.post(f"/api/v1/{resource}", json=payload, headers=world.headers("kz-officer"))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _columns(obj: Any) -> dict[str, tuple[type, Any]]:
    out = {}
    for a in inspect(obj).mapper.column_attrs:
        value = getattr(obj, a.key)
        out[a.key] = (type(value), value)
    return out


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_driver_and_orm_load_the_same_record(
    client: TestClient, world: World, session: Session, viewer: ViewerFactory, resource: str
) -> None:
    spec = RESOURCES[resource]
    ids = [
        _record(client, world, resource, distribution="partners", partner_countries=["RU"]),
        _record(client, world, resource, distribution="all", hit_only=True),
        _record(client, world, resource, distribution="country"),
        str(uuid.uuid4()),
    ]
    children = [a.key for a in spec.detail_children()] if spec.detail_children else []
    found = 0
    for username in sorted(USERS):
        v = viewer(username)
        condition = visible(v, spec.model, include_hit_only=True)
        for rid in ids:
            answers = []
            for driver in (False, True):
                session.expunge_all()
                loaded = detail.load(session, spec, condition, uuid.UUID(rid), driver=driver)
                if loaded is None:
                    answers.append(None)
                    continue
                obj, values = loaded
                kids = {k: [_columns(c) for c in getattr(obj, k)] for k in children}
                answers.append(
                    (
                        _columns(obj),
                        values,
                        kids,
                        serialise(session, v, spec, obj, detail_values=values),
                    )
                )
            assert answers[0] == answers[1], (resource, username, rid)
            found += answers[0] is not None
            if answers[0] is not None:
                assert all(answers[0][2].values()), "children loaded"
    assert found > len(ids)  # several audiences saw records (the comparison had content)
