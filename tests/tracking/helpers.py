"""Helpers shared by the tracking tests: a standalone database file with devices."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

import shekara.db.models  # noqa: F401 - every table in the metadata
from shekara.agencies.constants import AgencyKind
from shekara.agencies.models import Agency
from shekara.db.engine import make_engine
from shekara.db.migrate import upgrade
from shekara.settings import Settings
from shekara.telemetry.protocols.fix import Fix
from shekara.tracking.constants import DeviceKind
from shekara.tracking.models import Device
from shekara.vocab.seed import seed_countries

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def sqlite_db(path: Path) -> tuple[str, Engine]:
    url = f"sqlite:///{path}"
    engine = make_engine(Settings(env="test", audit_seal_seconds=0), url)
    upgrade(engine)
    return url, engine


def add_devices(engine: Engine, identifiers: list[str]) -> dict[str, uuid.UUID]:
    """One agency and one tracker per identifier; returns identifier -> device id."""
    out: dict[str, uuid.UUID] = {}
    with Session(engine) as s:
        seed_countries(s, ["KZ"])
        agency = Agency(
            code=f"KZ-CUS-{uuid.uuid4().hex[:6]}",
            name="Customs",
            country="KZ",
            kind=AgencyKind.customs,
            contact="",
        )
        s.add(agency)
        s.flush()
        for ident in identifiers:
            d = Device(
                kind=DeviceKind.tracker,
                identifier=ident,
                owner_agency_id=agency.id,
                owner_country="KZ",
                report_period_s=60,
            )
            s.add(d)
            s.flush()
            out[ident] = d.id
        s.commit()
    return out


def track(
    device: str,
    n: int,
    start: datetime = T0,
    step_s: int = 30,
    lat: float = 50.0,
    lon: float = 57.0,
    dlat: float = 0.001,
    dlon: float = 0.001,
    speed: float = 60.0,
    **kw: object,
) -> list[Fix]:
    return [
        Fix(
            device_id=device,
            fix_time=start + timedelta(seconds=i * step_s),
            lat=round(lat + i * dlat, 6),
            lon=round(lon + i * dlon, 6),
            valid=True,
            speed_kmh=speed,
            course_deg=45.0,
            satellites=9,
            hdop=0.9,
            **kw,
        )  # type: ignore[arg-type]
        for i in range(n)
    ]
