"""Pages of the web console, one module per area."""

from __future__ import annotations

from fastapi import APIRouter

from shekara.web.views import (
    admin,
    audit,
    auth,
    cases,
    dashboard,
    editing,
    incidents,
    maps,
    records,
    screening,
    search,
    tracking,
)

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    search.router,
    screening.router,
    incidents.router,
    editing.router,  # before records: /records/<resource>/new is not a record id
    records.router,
    cases.router,
    maps.router,
    tracking.router,
    dashboard.router,
    audit.router,
    admin.router,
)
