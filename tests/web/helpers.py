"""Signing in through the web form, as a browser would."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client: TestClient, path: str = "/login") -> str:
    r = client.get(path)
    m = CSRF.search(r.text)
    assert m, f"no CSRF token on {path}: {r.status_code}"
    return m.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    client.cookies.clear()
    token = csrf(client)
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def post(
    client: TestClient, path: str, data: dict[str, str], *, page: str = "/search"
) -> httpx.Response:
    token = csrf(client, page)
    r: httpx.Response = client.post(
        path, data={**data, "csrf_token": token}, follow_redirects=False
    )
    return r
