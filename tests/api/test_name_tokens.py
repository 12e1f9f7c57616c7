from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from shekara.persons.models import PersonNameToken
from shekara.persons.service import rebuild_name_tokens
from tests.conftest import World
from tests.records.factories import create


def test_rebuild_restores_search_after_a_bulk_load(
    client: TestClient, world: World, session: Session
) -> None:
    rid = create(client, world, "kz-officer", "persons", distribution="country")
    before = session.execute(select(func.count()).select_from(PersonNameToken)).scalar_one()
    session.execute(delete(PersonNameToken))  # as after a bulk load that wrote names only
    h = world.headers("kz-police")
    assert not client.get("/api/v1/search", params={"q": "Nurgaliev"}, headers=h).json()["hits"]
    assert rebuild_name_tokens(session, batch=1) == before
    hits = client.get("/api/v1/search", params={"q": "Nurgaliev"}, headers=h).json()["hits"]
    assert [x["id"] for x in hits] == [rid]
