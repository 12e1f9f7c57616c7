from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from shekara.agencies.models import Agency
from tests.conftest import PASSWORD, World


def test_login_and_me(client: TestClient, world: World) -> None:
    r = client.post("/api/v1/auth/token", json={"username": "kz-officer", "password": PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == "kz-officer"
    bad = client.post("/api/v1/auth/token", json={"username": "kz-officer", "password": "nope"})
    assert bad.status_code == 401
    assert bad.json()["errors"][0]["code"] == "not_authenticated"


def test_deactivated_user_or_agency_loses_access(
    client: TestClient, world: World, session: Session
) -> None:
    h = world.headers("kg-officer")
    assert client.get("/api/v1/auth/me", headers=h).status_code == 200
    r = client.patch(
        f"/api/v1/users/{world.users['kg-officer']}",
        json={"active": False},
        headers=world.headers("admin"),
    )
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/persons", headers=h).status_code == 401
    r = client.post("/api/v1/auth/token", json={"username": "kg-officer", "password": PASSWORD})
    assert r.status_code == 401
    ru = world.headers("ru-officer")
    assert client.get("/api/v1/persons", headers=ru).status_code == 200
    session.execute(update(Agency).where(Agency.code == "RU-FSB-PS").values(active=False))
    assert client.get("/api/v1/persons", headers=ru).status_code == 401


def test_expired_or_revoked_token_is_anonymous(
    client: TestClient, world: World, session: Session
) -> None:
    from datetime import timedelta

    from shekara.accounts.models import ApiToken
    from shekara.accounts.security import token_digest
    from shekara.db.base import utcnow

    def fresh() -> str:
        r = client.post("/api/v1/auth/token", json={"username": "kz-officer", "password": PASSWORD})
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    expired, revoked = fresh(), fresh()
    for token in (expired, revoked):
        h = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/persons", headers=h).status_code == 200
    session.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == token_digest(expired))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.execute(
        update(ApiToken).where(ApiToken.token_hash == token_digest(revoked)).values(revoked=True)
    )
    session.commit()  # a refused request rolls the shared test session back
    for name, token in (("expired", expired), ("revoked", revoked), ("unknown", "not-a-token")):
        r = client.get("/api/v1/persons", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, name
