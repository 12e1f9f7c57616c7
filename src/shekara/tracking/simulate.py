"""`shekara simulate`: trucks, seals, patrols and UAVs speaking the real protocols over TCP.

Trucks (with electronic seals) drive along the reference corridors between real places of the
region; patrols and UAVs move inside sectors around checkpoints. Every device talks EGTS or
Wialon IPS to the gateways (the in-process ones, or a running ingest given by ``--host`` and
ports) and waits for each acknowledgement. Deviations are injected deterministically (by
seed): corridor exits, long stops, signal loss followed by a black-box upload, tampering and
seal alarms, patrols leaving their sector, an SOS.

Fix times are real time; positions advance ``speedup`` times faster than a real truck, so a
short run crosses a visible part of the map.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from shekara.agencies.constants import AgencyKind
from shekara.agencies.models import Agency
from shekara.db.engine import make_sessionmaker
from shekara.places.constants import PlaceKind, Precision
from shekara.places.models import Place
from shekara.policy.constants import Distribution
from shekara.refdata.loaders import load_corridors, resolve_place
from shekara.telemetry.gateway import start_gateways
from shekara.telemetry.protocols.fix import Fix
from shekara.tracking.clients import EgtsClient, NotAcknowledged, WialonClient
from shekara.tracking.constants import DeviceKind, TripStatus
from shekara.tracking.geofence import DEG_M, haversine_m
from shekara.tracking.ingest import DeviceDirectory
from shekara.tracking.models import Alert, Device, Trip
from shekara.tracking.processor import RuleProcessor
from shekara.tracking.storage import FixWriter
from shekara.vocab.seed import seed_countries

log = structlog.get_logger(__name__)
SIM_PREFIX = "99"


def sim_identifier(kind_digit: int, seed: int, index: int) -> str:
    """A 15-digit IMEI-like identifier: 99, kind (1 truck, 2 seal, 3 patrol, 4 UAV), seed,
    index."""
    return f"{SIM_PREFIX}{kind_digit}{seed % 1000:03d}{index:09d}"


@dataclass
class SimDevice:
    identifier: str
    kind: DeviceKind
    protocol: str
    path: list[tuple[float, float]]
    """(lat, lon) vertices to follow (a closed loop for patrols and UAVs)."""
    speed_kmh: float
    offset_km: float = 0.0
    behaviour: str = "normal"
    device_id: str = ""
    sent: int = 0
    acked: int = 0
    errors: int = 0
    buffer: list[Fix] = field(default_factory=list)


@dataclass
class SimReport:
    devices: Counter[str] = field(default_factory=Counter)
    sent: Counter[str] = field(default_factory=Counter)
    acked: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    alerts: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "devices": dict(self.devices),
            "fixes_sent": dict(self.sent),
            "fixes_acknowledged": dict(self.acked),
            "errors": self.errors,
            "alerts": dict(self.alerts),
            "elapsed_s": round(self.elapsed_s, 1),
        }


def corridor_paths() -> list[tuple[str, list[tuple[float, float]], list[str]]]:
    """(corridor id, (lat, lon) polyline, checkpoint ids) of the reference corridors."""
    out = []
    for corridor in load_corridors():
        pts: list[tuple[float, float]] = []
        checkpoints = []
        for ref in corridor.places:
            try:
                place = resolve_place(ref)
            except KeyError:
                continue
            if not pts or haversine_m(pts[-1][0], pts[-1][1], place.lat, place.lon) > 500:
                pts.append((place.lat, place.lon))
            if ref.startswith("checkpoint:"):
                checkpoints.append(ref.split(":", 1)[1])
        if len(pts) >= 2:
            out.append((corridor.id, pts, checkpoints))
    return out


def position(
    path: Sequence[tuple[float, float]], km: float, loop: bool
) -> tuple[float, float, float]:
    """(lat, lon, course) at ``km`` along the path (back and forth, or round a loop)."""
    legs = [
        haversine_m(a[0], a[1], b[0], b[1]) / 1000 for a, b in zip(path, path[1:], strict=False)
    ]
    total = sum(legs) or 1.0
    d = km % (total if loop else 2 * total)
    forward = True
    if not loop and d > total:
        d, forward = 2 * total - d, False
    for (a, b), leg in zip(zip(path, path[1:], strict=False), legs, strict=True):
        if d <= leg or leg == legs[-1]:
            f = min(1.0, d / leg) if leg else 0.0
            lat, lon = a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f
            dy, dx = b[0] - a[0], (b[1] - a[1]) * math.cos(math.radians(lat))
            course = (math.degrees(math.atan2(dx, dy)) + (0 if forward else 180)) % 360
            return lat, lon, course
        d -= leg
    return path[-1][0], path[-1][1], 0.0


def _agency(session: Session, code: str | None) -> Agency:
    if code:
        agency = session.scalar(select(Agency).where(Agency.code == code))
        if agency is None:
            raise ValueError(f"no agency {code!r}")
        return agency
    agency = session.scalar(
        select(Agency).where(Agency.kind == AgencyKind.customs).order_by(Agency.code)
    ) or session.scalar(select(Agency).order_by(Agency.code))
    if agency is None:
        seed_countries(session, ["KZ"])
        agency = Agency(
            code="SIM-CUSTOMS",
            name="Simulated customs service",
            country="KZ",
            kind=AgencyKind.customs,
            contact="",
        )
        session.add(agency)
        session.flush()
    return agency


def plan(trucks: int, seals: int, patrols: int, uavs: int, seed: int) -> list[SimDevice]:
    rng = random.Random(seed)
    paths = corridor_paths()
    devices: list[SimDevice] = []
    truck_behaviours = ["normal", "deviate", "stop", "silent", "tamper"]
    for i in range(trucks):
        cid, path, _ = paths[i % len(paths)]
        devices.append(
            SimDevice(
                identifier=sim_identifier(1, seed, i),
                kind=DeviceKind.tracker,
                protocol="egts" if i % 2 == 0 else "wialon_ips",
                path=path,
                speed_kmh=rng.uniform(55, 85),
                offset_km=rng.uniform(0, 300),
                behaviour=truck_behaviours[i % len(truck_behaviours)],
            )
        )
    for i in range(seals):
        truck = devices[i % max(1, trucks)] if trucks else None
        path = truck.path if truck else paths[i % len(paths)][1]
        devices.append(
            SimDevice(
                identifier=sim_identifier(2, seed, i),
                kind=DeviceKind.seal,
                protocol="wialon_ips" if i % 3 != 2 else "egts",
                path=path,
                speed_kmh=truck.speed_kmh if truck else 70.0,
                offset_km=truck.offset_km if truck else 0.0,
                behaviour="seal_broken" if i % 3 == 1 else "normal",
            )
        )
    centres = [p for _, path, _ in paths for p in path[1:-1]] or [(50.0, 57.0)]
    for i, (kind, n) in enumerate([(DeviceKind.patrol, patrols), (DeviceKind.uav, uavs)]):
        for j in range(n):
            lat, lon = centres[(j * 7 + i * 3) % len(centres)]
            r = 0.05 if kind == DeviceKind.patrol else 0.2
            loop = [
                (lat + r * math.sin(a / 6 * math.tau), lon + r * math.cos(a / 6 * math.tau))
                for a in range(7)
            ]
            behaviour = ["normal", "sector_exit", "sos"][j % 3]
            letter = 3 if kind == DeviceKind.patrol else 4
            devices.append(
                SimDevice(
                    identifier=sim_identifier(letter, seed, j),
                    kind=kind,
                    protocol="egts" if j % 2 else "wialon_ips",
                    path=loop,
                    speed_kmh=20.0 if kind == DeviceKind.patrol else 120.0,
                    offset_km=rng.uniform(0, 5),
                    behaviour=behaviour,
                )
            )
    return devices


def register(
    engine: Engine,
    devices: list[SimDevice],
    agency_code: str | None,
    report_period_s: int,
    corridor_width_m: float,
) -> None:
    """Create (or reuse) the devices, their sectors and open trips for the trucks."""
    with Session(engine) as s:
        agency = _agency(s, agency_code)
        by_ident = {
            d.identifier: d
            for d in s.scalars(
                select(Device).where(Device.identifier.in_([d.identifier for d in devices]))
            )
        }
        trucks: dict[int, Device] = {}
        for index, sim in enumerate(devices):
            device = by_ident.get(sim.identifier)
            if device is None:
                device = Device(
                    kind=sim.kind,
                    identifier=sim.identifier,
                    label=f"{sim.kind.value} {sim.identifier[-4:]}",
                    owner_agency_id=agency.id,
                    owner_country=agency.country,
                    distribution=Distribution.country,
                )
                s.add(device)
            device.report_period_s = report_period_s
            device.protocol = sim.protocol
            device.active = True
            if sim.kind in (DeviceKind.patrol, DeviceKind.uav):
                device.patrol_name = f"{sim.kind.value}-{sim.identifier[-3:]}"
                lats, lons = [p[0] for p in sim.path], [p[1] for p in sim.path]
                pad = 0.02
                ring = [
                    [min(lons) - pad, min(lats) - pad],
                    [max(lons) + pad, min(lats) - pad],
                    [max(lons) + pad, max(lats) + pad],
                    [min(lons) - pad, max(lats) + pad],
                    [min(lons) - pad, min(lats) - pad],
                ]
                code = f"sim-sector-{sim.identifier.lower()}"
                place = s.scalar(select(Place).where(Place.code == code))
                if place is None:
                    place = Place(
                        code=code,
                        kind=PlaceKind.other,
                        name_en=f"Sector {code[-4:]}",
                        lat=sum(lats) / len(lats),
                        lon=sum(lons) / len(lons),
                        precision=Precision.approximate,
                    )
                    s.add(place)
                place.geometry = {"type": "Polygon", "coordinates": [ring]}
                s.flush()
                device.sector_place_id = place.id
            s.flush()
            sim.device_id = str(device.id)
            if sim.kind == DeviceKind.tracker:
                trucks[index] = device
        # close the old open trips of these devices, open one per truck (seal: the next seal)
        ids = [uuid.UUID(d.device_id) for d in devices]
        for trip in s.scalars(
            select(Trip).where(Trip.status == TripStatus.open, Trip.tracker_device_id.in_(ids))
        ):
            trip.status = TripStatus.closed
            trip.closed_at = datetime.now(UTC)
            trip.closing_note = "simulation restarted"
        seals = [d for d in devices if d.kind == DeviceKind.seal]
        checkpoints = {
            p.code: p.id for p in s.scalars(select(Place).where(Place.kind == PlaceKind.checkpoint))
        }
        for n, (index, device) in enumerate(sorted(trucks.items())):
            sim = devices[index]
            seal = seals[n] if n < len(seals) else None
            cps = next((c for cid, path, c in corridor_paths() if path == sim.path), [])
            s.add(
                Trip(
                    reference=f"SIM-{sim.identifier[-6:]}",
                    tracker_device_id=device.id,
                    seal_device_id=uuid.UUID(seal.device_id) if seal else None,
                    corridor={
                        "type": "LineString",
                        "coordinates": [[lon, lat] for lat, lon in sim.path],
                    },
                    corridor_width_m=corridor_width_m,
                    allowed_stop_place_ids=[str(checkpoints[c]) for c in cps if c in checkpoints],
                    owner_agency_id=agency.id,
                    owner_country=agency.country,
                    distribution=Distribution.country,
                )
            )
        s.commit()


def _fix(sim: SimDevice, elapsed: float, duration: float, speedup: float, now: datetime) -> Fix:
    phase = elapsed / max(duration, 1.0)
    km = sim.offset_km + sim.speed_kmh * speedup * elapsed / 3600
    loop = sim.kind in (DeviceKind.patrol, DeviceKind.uav)
    speed = sim.speed_kmh
    if sim.behaviour == "stop" and 0.3 <= phase < 0.8:
        km = sim.offset_km + sim.speed_kmh * speedup * duration * 0.3 / 3600
        speed = 0.0
    lat, lon, course = position(sim.path, km, loop)
    if sim.behaviour == "deviate" and 0.3 <= phase < 0.7:
        lat += 8000 / DEG_M  # 8 km off the declared route
    if sim.behaviour == "sector_exit" and phase >= 0.4:
        lat += 0.5
    params: dict[str, int | float | str | bool] = {"battery_pct": 80}
    alarm_phase = 0.5 <= phase < 0.6
    if sim.behaviour == "tamper" and alarm_phase:
        if sim.protocol == "egts":
            params["event_code"] = 10  # GOST 33472 SRC 10: case opened
        else:
            params["seal_alarm"] = 7  # unauthorised actions
    if sim.behaviour == "seal_broken" and alarm_phase:
        if sim.protocol == "egts":
            params["event_code"] = 10
        else:
            params["seal_alarm"] = 1
    if sim.behaviour == "sos" and alarm_phase:
        if sim.protocol == "egts":
            params["event_code"] = 13  # alarm button
        else:
            params["SOS"] = 1
    return Fix(
        device_id=sim.identifier,
        fix_time=now,
        lat=round(lat, 6),
        lon=round(lon, 6),
        valid=True,
        speed_kmh=round(speed, 1),
        course_deg=round(course),
        satellites=11,
        hdop=0.8,
        altitude_m=200.0,
        params=params,
    )


async def _drive(
    sim: SimDevice,
    host: str,
    ports: dict[str, int],
    duration: float,
    interval: float,
    speedup: float,
    start: float,
) -> None:
    client: EgtsClient | WialonClient
    if sim.protocol == "egts":
        client = EgtsClient(
            host, ports["egts"], sim.identifier, tid=abs(hash(sim.identifier)) % (2**31)
        )
    else:
        client = WialonClient(host, ports["wialon_ips"], sim.identifier)
    try:
        await client.connect()
        while (elapsed := time.monotonic() - start) < duration:
            fix = _fix(sim, elapsed, duration, speedup, datetime.now(UTC).replace(microsecond=0))
            phase = elapsed / duration
            if sim.behaviour == "silent" and 0.3 <= phase < 0.55:
                sim.buffer.append(dataclasses.replace(fix, blackbox=True))
            else:
                batch = [*sim.buffer, fix]
                sim.buffer.clear()
                sim.sent += len(batch)
                await client.send(batch)
                sim.acked += len(batch)
            await asyncio.sleep(interval)
    except (NotAcknowledged, OSError, TimeoutError) as exc:
        sim.errors += 1
        log.warning("simulate.device_failed", device=sim.identifier, error=repr(exc))
    finally:
        await client.close()


async def run_simulation(
    engine: Engine,
    *,
    trucks: int = 10,
    seals: int = 5,
    patrols: int = 3,
    uavs: int = 2,
    duration: float = 60.0,
    interval: float = 2.0,
    speedup: float = 30.0,
    seed: int = 1,
    agency: str | None = None,
    host: str | None = None,
    egts_port: int | None = None,
    wialon_port: int | None = None,
    report_period_s: int | None = None,
) -> SimReport:
    """Register the simulated devices and drive them for ``duration`` seconds."""
    devices = plan(trucks, seals, patrols, uavs, seed)
    period = report_period_s or max(1, round(interval * 2))
    register(engine, devices, agency, period, corridor_width_m=5000.0)
    began = datetime.now(UTC)
    external = host is not None and egts_port is not None and wialon_port is not None
    writer: FixWriter | None = None
    processor: RuleProcessor | None = None
    gateways = None
    if external:
        assert host is not None and egts_port is not None and wialon_port is not None
        ports = {"egts": egts_port, "wialon_ips": wialon_port}
    else:
        host = "127.0.0.1"
        factory = make_sessionmaker(engine)
        processor = RuleProcessor(factory, sweep_s=max(1.0, interval)).start()
        writer = FixWriter(engine, on_stored=processor.submit).start()
        gateways = await start_gateways(
            writer, DeviceDirectory(factory).authenticate, host=host, egts_port=0, wialon_port=0
        )
        ports = {"egts": gateways.port("egts"), "wialon_ips": gateways.port("wialon_ips")}
    start = time.monotonic()
    try:
        await asyncio.gather(
            *(_drive(d, host, ports, duration, interval, speedup, start) for d in devices)
        )
        if processor is not None:
            await asyncio.sleep(max(interval, 1.0) * 2)
    finally:
        if gateways is not None:
            await gateways.close()
        if writer is not None:
            writer.close()
        if processor is not None:
            processor.close()
    report = SimReport(elapsed_s=time.monotonic() - start)
    for d in devices:
        report.devices[d.kind.value] += 1
        report.sent[d.protocol] += d.sent
        report.acked[d.protocol] += d.acked
        report.errors += d.errors
    with Session(engine) as s:
        ids = [uuid.UUID(d.device_id) for d in devices]
        for kind, n in s.execute(
            select(Alert.kind, func.count())
            .where(Alert.device_id.in_(ids), Alert.raised_at >= began)
            .group_by(Alert.kind)
        ):
            report.alerts[str(kind)] = n
    return report
