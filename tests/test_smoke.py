from fastapi.testclient import TestClient

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
