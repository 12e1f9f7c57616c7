"""Lists and detail reads cost a fixed number of queries, whatever the number of rows (no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.records.factories import create


@contextmanager
def count_queries(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []
    conn = session.connection()

    def on(_c: object, _cur: object, stmt: str, *_a: object) -> None:
        seen.append(stmt)

    event.listen(conn, "before_cursor_execute", on)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", on)


@pytest.mark.parametrize("resource", ["persons", "incidents", "cases", "vehicles"])
def test_list_query_count_does_not_grow_with_rows(
    client: TestClient, world: World, session: Session, resource: str
) -> None:
    h = world.headers("kz-officer")
    create(client, world, "kz-officer", resource)
    with count_queries(session) as few:
        client.get(f"/api/v1/{resource}?limit=100", headers=h)
    for _ in range(6):
        create(client, world, "kz-officer", resource)
    with count_queries(session) as many:
        client.get(f"/api/v1/{resource}?limit=100", headers=h)
    assert few and len(many) == len(few), many


def test_person_detail_without_links_is_cheap(
    client: TestClient, world: World, session: Session
) -> None:
    rid = create(client, world, "kz-officer", "persons")
    with count_queries(session) as q:
        assert client.get(f"/api/v1/persons/{rid}", headers=world.headers("kz-officer")).is_success
    # viewer (token, user) + record + names + one link-candidate query + audit entry
    assert len(q) <= 7, q


def test_incident_detail_without_case_or_links_is_cheap(
    client: TestClient, world: World, session: Session
) -> None:
    rid = create(client, world, "kz-officer", "incidents")
    with count_queries(session) as q:
        r = client.get(f"/api/v1/incidents/{rid}", headers=world.headers("kz-officer"))
        assert r.is_success and r.json()["cases"] == []
    # viewer, record (with its seizures, involvements and whether a case lists it), audit entry
    assert not any("FROM cases" in s for s in q), q
    assert len(q) <= 5, q  # with the test harness's SAVEPOINT and RELEASE
