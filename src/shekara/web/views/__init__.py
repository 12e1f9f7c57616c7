"""Pages of the web console, one module per area."""

from __future__ import annotations

from fastapi import APIRouter

from shekara.web.views import admin, audit, auth, dashboard, incidents, maps, records, search

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    search.router,
    incidents.router,
    records.router,
    maps.router,
    dashboard.router,
    audit.router,
    admin.router,
)
