"""Failed-login limits on the sign-in page and the API's token endpoint, audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shekara.audit.models import AuditEntry
from shekara.db.base import utcnow
from shekara.settings import Settings
from tests.conftest import PASSWORD
from tests.web.helpers import csrf


def _web(client: TestClient, username: str, password: str) -> tuple[int, str]:
    token = csrf(client)
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    return r.status_code, r.text


def _api(client: TestClient, username: str, password: str) -> tuple[int, dict[str, object]]:
    r = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    return r.status_code, r.json()


def _count(session: Session, action: str, username: str) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.username == username)
        ).scalar_one()
    )


@pytest.fixture
def limited(client: TestClient, settings: Settings) -> Iterator[TestClient]:
    app = client.app
    original = app.state.settings  # type: ignore[attr-defined]
    app.state.settings = settings.model_copy(  # type: ignore[attr-defined]
        update={"login_max_failures": 3, "login_max_failures_per_ip": 5}
    )
    yield client
    app.state.settings = original  # type: ignore[attr-defined]


def test_username_is_refused_after_n_failures_on_web_and_api(
    limited: TestClient, session: Session
) -> None:
    client = limited
    assert _web(client, "kz-officer", "wrong-1")[0] == 401
    assert _api(client, "kz-officer", "wrong-2")[0] == 401
    assert _web(client, "kz-officer", "wrong-3")[0] == 401
    assert _count(session, "login_failed", "kz-officer") == 3
    # the right password is now refused too, without being checked
    status, text = _web(client, "kz-officer", PASSWORD)
    assert status == 429
    assert "Too many failed sign-ins for this username. Try again in 15 min" in text
    assert 'value="kz-officer"' in text  # what was typed stays
    status, body = _api(client, "kz-officer", PASSWORD)
    assert status == 429
    err = body["errors"][0]  # type: ignore[index]
    assert err["code"] == "too_many_attempts" and 0 < err["retry_after"] <= 15 * 60
    assert _count(session, "login_refused", "kz-officer") == 2
    assert _count(session, "login_failed", "kz-officer") == 3  # refusals do not count
    # another user from the same computer still signs in
    assert _web(client, "kz-officer2", PASSWORD)[0] == 303
    # once the failures have left the window, the user signs in again
    session.execute(
        update(AuditEntry)
        .where(AuditEntry.action == "login_failed", AuditEntry.username == "kz-officer")
        .values(at=utcnow() - timedelta(minutes=16))
    )
    assert _web(client, "kz-officer", PASSWORD)[0] == 303
    assert _api(client, "kz-officer", PASSWORD)[0] == 200


def test_message_in_the_users_language(limited: TestClient) -> None:
    client = limited
    client.post("/lang", data={"lang": "ru", "csrf_token": csrf(client)})
    for _ in range(3):
        _web(client, "kz-analyst", "wrong")
    status, text = _web(client, "kz-analyst", PASSWORD)
    assert status == 429 and "Слишком много" in text


def test_a_success_clears_the_usernames_count(limited: TestClient) -> None:
    client = limited
    for _ in range(2):
        assert _api(client, "kz-supervisor", "wrong")[0] == 401
    assert _api(client, "kz-supervisor", PASSWORD)[0] == 200
    for _ in range(2):
        assert _api(client, "kz-supervisor", "wrong")[0] == 401
    assert _api(client, "kz-supervisor", PASSWORD)[0] == 200


def test_one_address_is_refused_after_n_failures_whatever_the_username(
    limited: TestClient, session: Session
) -> None:
    client = limited
    for i in range(5):
        assert _api(client, f"nobody-{i}", "guess")[0] == 401
    status, text = _web(client, "kz-police", PASSWORD)
    assert status == 429 and "from this computer" in text
    assert _api(client, "kz-police", PASSWORD)[0] == 429
    assert _count(session, "login_failed", "nobody-0") == 1


def test_no_limit_when_set_to_zero(client: TestClient, settings: Settings) -> None:
    app = client.app
    original = app.state.settings  # type: ignore[attr-defined]
    app.state.settings = settings.model_copy(  # type: ignore[attr-defined]
        update={"login_max_failures": 0, "login_max_failures_per_ip": 0}
    )
    try:
        for _ in range(8):
            assert _api(client, "kz-duty", "wrong")[0] == 401
        assert _api(client, "kz-duty", PASSWORD)[0] == 200
    finally:
        app.state.settings = original  # type: ignore[attr-defined]
