"""End-to-end tracking benchmark: TCP → decoded → stored fix → evaluated rules → alert.

One server process runs the real gateways (EGTS and Wialon IPS over TCP), the `FixWriter`
and the rule processor with the geofence index; this process is the load generator: one TCP
connection per device (half EGTS, half Wialon IPS 2.0), packets encoded before the clock
starts, each device sending its fixes in packets of ``--batch`` and waiting for every
acknowledgement. Geofences: a corridor per truck trip, a sector per patrol, the real-length
border sections of the reference data buffered into 5 km strips, and checkpoint zones.

Reported: fixes acknowledged per second (TCP to durable storage), fixes through the rules per
second (acknowledged and evaluated), and fix-to-alert latency (from reception at the gateway
to the alert committed) percentiles. Writes bench/results/tracking-<backend>.json.

    python bench/bench_tracking.py [--backend sqlite|postgres|both] [--devices 10000]
        [--fixes 20] [--batch 5] [--steady-rates 6000 8000 10000]

A steady run offers its rate exactly when ``--fixes`` is a multiple of ``--batch`` (every packet
full). The JSON also records the CPU time per fix of PostgreSQL's processes (the benchmark
database's backends, WAL writer, checkpointer and background writer; Linux /proc) and the load
average when each run started.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

RESULTS = Path(__file__).parent / "results"
PG_ADMIN = os.environ.get(
    "SHEKARA_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TARGET_FIXES_S = 10_000
TARGET_P99_S = 1.0


# --- setup ----------------------------------------------------------------------------------


def make_db(backend: str, workdir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text('DROP DATABASE IF EXISTS "shekara_bench" WITH (FORCE)'))
        c.execute(text('CREATE DATABASE "shekara_bench"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/shekara_bench"


def populate(url: str, devices: int, seed: int) -> dict[str, Any]:
    """Places (real border sections and checkpoints), devices, trips and sectors."""
    import shekara.db.models  # noqa: F401
    from shekara.agencies.constants import AgencyKind
    from shekara.agencies.models import Agency
    from shekara.db.base import new_id, utcnow
    from shekara.db.engine import make_engine
    from shekara.db.migrate import upgrade
    from shekara.demo.places import load_places
    from shekara.places.constants import PlaceKind, Precision
    from shekara.places.models import Place
    from shekara.refdata.loaders import load_border_sections
    from shekara.settings import Settings
    from shekara.tracking.constants import DeviceKind, TripStatus
    from shekara.tracking.models import Device, Trip
    from shekara.vocab.seed import seed_countries

    rng = random.Random(seed)
    engine = make_engine(Settings(env="test"), url)
    upgrade(engine)
    plan: list[dict[str, Any]] = []
    with Session(engine) as s:
        seed_countries(s, ["KZ", "RU", "KG", "UZ", "TJ", "TM", "BY", "CN", "AF", "IR", "AZ"])
        load_places(s)
        agency = Agency(
            code="BENCH", name="Bench customs", country="KZ", kind=AgencyKind.customs, contact=""
        )
        s.add(agency)
        s.flush()
        vertices = [
            (lat, lon) for sec in load_border_sections() for line in sec.lines for lat, lon in line
        ]
        now = utcnow()
        device_rows, trip_rows, place_rows = [], [], []
        for i in range(devices):
            did = new_id()
            patrol = i % 5 == 4
            lat0, lon0 = rng.choice(vertices)
            lat0 -= 0.3  # ~33 km inland of the border line
            heading = rng.uniform(0, 2 * math.pi)
            dlat, dlon = 0.5 * math.sin(heading), 0.5 * math.cos(heading)
            identifier = f"77{i:013d}"
            protocol = "egts" if i % 2 == 0 else "wialon_ips"
            row: dict[str, Any] = dict(
                id=did,
                kind=DeviceKind.patrol if patrol else DeviceKind.tracker,
                identifier=identifier,
                label="",
                protocol=protocol,
                device_class="bench",
                report_period_s=30,
                patrol_name="",
                active=True,
                distribution="agency",
                hit_only=False,
                handling_code="H0",
                handling_note="",
                source_reliability="X",
                info_credibility="4",
                owner_country="KZ",
                owner_agency_id=agency.id,
                created_at=now,
                updated_at=now,
                password_hash=None,
                token_hash=None,
                vehicle_id=None,
                sector_place_id=None,
                external_ref=None,
                created_by=None,
            )
            if patrol:
                pid = new_id()
                ring = [
                    [lon0 - 0.3, lat0 - 0.3],
                    [lon0 + 0.3, lat0 - 0.3],
                    [lon0 + 0.3, lat0 + 0.3],
                    [lon0 - 0.3, lat0 + 0.3],
                    [lon0 - 0.3, lat0 - 0.3],
                ]
                place_rows.append(
                    dict(
                        id=pid,
                        code=f"bench-sector-{i}",
                        kind=PlaceKind.other,
                        name_en=f"Sector {i}",
                        name_ru="",
                        name_kk="",
                        lat=lat0,
                        lon=lon0,
                        precision=Precision.approximate,
                        geometry={"type": "Polygon", "coordinates": [ring]},
                        created_at=now,
                        updated_at=now,
                    )
                )
                row["sector_place_id"] = pid
                dlat, dlon = dlat / 5, dlon / 5
            else:
                trip_rows.append(
                    dict(
                        id=new_id(),
                        reference=f"B{i}",
                        tracker_device_id=did,
                        corridor={
                            "type": "LineString",
                            "coordinates": [[lon0, lat0], [lon0 + dlon, lat0 + dlat]],
                        },
                        corridor_width_m=2000.0,
                        allowed_stop_place_ids=[],
                        stop_radius_m=1500.0,
                        status=TripStatus.open,
                        opened_at=now,
                        closing_note="",
                        distribution="agency",
                        hit_only=False,
                        handling_code="H0",
                        handling_note="",
                        source_reliability="X",
                        info_credibility="4",
                        owner_country="KZ",
                        owner_agency_id=agency.id,
                        created_at=now,
                        updated_at=now,
                    )
                )
            device_rows.append(row)
            plan.append(
                dict(
                    identifier=identifier,
                    protocol=protocol,
                    lat=lat0,
                    lon=lon0,
                    dlat=dlat,
                    dlon=dlon,
                )
            )
        if place_rows:
            s.execute(insert(Place), place_rows)
        s.execute(insert(Device), device_rows)
        if trip_rows:
            s.execute(insert(Trip), trip_rows)
        s.commit()
    engine.dispose()
    return {"devices": plan, "trips": len(trip_rows), "sectors": len(place_rows)}


# --- server -----------------------------------------------------------------------------------


class LatencyRecorder:
    """The rule processor's ``on_events`` (picklable: it runs in the rule process): fix-to-alert
    latency, from the gateway's reception of the fix to the alert committed, written with the
    process's CPU time to a JSON file."""

    def __init__(self, path: Path):
        self.path = path
        self.latencies: list[float] = []
        self.written = 0.0

    def __call__(self, events: Sequence[Any], fixes: Sequence[Any]) -> None:
        if events:
            now = datetime.now(UTC)
            devices = {device_id for device_id, _ in events}
            received = {
                (f.device_id, f.fix_time): f.received_at for f in fixes if f.device_id in devices
            }
            for device_id, ev in events:
                at = received.get((device_id, ev.fix_time))
                if at is not None:
                    self.latencies.append((now - at).total_seconds())
        elif time.monotonic() - self.written < 0.25:
            return
        self.written = time.monotonic()
        lat = sorted(self.latencies)
        stats = {
            "alert_events": len(lat),
            "latency_p50_s": _pct(lat, 0.50),
            "latency_p99_s": _pct(lat, 0.99),
            "latency_max_s": lat[-1] if lat else None,
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(stats))
        tmp.rename(self.path)


def serve(url: str, ports_file: Path, stats_file: Path, rules_in_process: bool) -> None:
    """The ingest process under test: gateways + FixWriter, and the rule processor in a
    child process (or, with ``rules_in_process``, in a thread of this one)."""
    from shekara.db.engine import make_engine, make_sessionmaker
    from shekara.logs import configure_logging
    from shekara.settings import Settings
    from shekara.telemetry.gateway import start_gateways
    from shekara.telemetry.gateway.base import fast_event_loop
    from shekara.tracking.ingest import DeviceDirectory
    from shekara.tracking.processor import RuleProcess, RuleProcessor, WorldCache
    from shekara.tracking.storage import FixWriter

    configure_logging("WARNING", False)
    engine = make_engine(Settings(env="test", db_pool_size=10), url)
    factory = make_sessionmaker(engine)
    rules_file = stats_file.with_name("rules.json")
    recorder = LatencyRecorder(rules_file)
    world = WorldCache(check_s=3600)
    t = time.perf_counter()
    with factory() as s:
        built = world.get(s)
    build_s = time.perf_counter() - t
    processor: RuleProcess | RuleProcessor
    rules_in_process = rules_in_process or engine.dialect.name == "sqlite"  # as the ingest does
    if rules_in_process:
        processor = RuleProcessor(factory, world=world, sweep_s=3600, on_events=recorder)
        processor.start()
    else:
        processor = RuleProcess(url, sweep_s=3600, check_s=3600, on_events=recorder)
        processor.start(wait_s=600)
    writer = FixWriter(engine, on_stored=processor.submit).start()
    directory = DeviceDirectory(factory)

    async def main() -> None:
        gw = await start_gateways(
            writer, directory.authenticate, host="127.0.0.1", egts_port=0, wialon_port=0
        )
        ports_file.write_text(
            json.dumps({"egts": gw.port("egts"), "wialon_ips": gw.port("wialon_ips")})
        )
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        while not stop.is_set():
            rules = read_stats(rules_file)
            own_cpu = time.process_time()
            stats = {
                **rules,
                "stored": writer.stored,
                "write_batches": writer.batches,
                "processed": processor.processed,
                "fences": len(built.geo),
                "fence_pieces": built.geo.pieces,
                "world_build_s": round(build_s, 2),
                "cpu_s": round(own_cpu + getattr(processor, "cpu_s", 0.0), 2),
                "ingest_cpu_s": round(own_cpu, 2),
                "rules_cpu_s": round(getattr(processor, "cpu_s", 0.0), 2),
            }
            tmp = stats_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(stats))
            tmp.rename(stats_file)
            try:
                await asyncio.wait_for(stop.wait(), 0.25)
            except TimeoutError:
                pass
        await gw.close()

    fast_event_loop()
    asyncio.run(main())
    writer.close()
    processor.close()
    engine.dispose()


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(q * len(values)))], 4)


# --- load generator -----------------------------------------------------------------------------


def _fixes(dev: dict[str, Any], n: int, start: datetime, rng: random.Random) -> list[Any]:
    from shekara.telemetry.protocols.fix import Fix

    alarm_device = rng.random() < 0.1
    out = []
    for k in range(n):
        params: dict[str, int | float | str | bool] = {}
        if alarm_device and k % 4 == 3:  # an SOS edge every fourth fix: an alert event
            params = {"event_code": 13} if dev["protocol"] == "egts" else {"SOS": 1}
        f = k / max(1, n - 1)
        out.append(
            Fix(
                device_id=dev["identifier"],
                fix_time=start + timedelta(seconds=5 * k),
                lat=round(dev["lat"] + dev["dlat"] * f, 5),
                lon=round(dev["lon"] + dev["dlon"] * f, 5),
                valid=True,
                speed_kmh=60.0,
                course_deg=90.0,
                satellites=10,
                hdop=0.9,
                altitude_m=100.0,
                params=params,
            )
        )
    return out


_AD_OK = b"#AD#1\r\n"


class Device:
    def __init__(self, dev: dict[str, Any], packets: list[tuple[bytes, int]]):
        self.dev = dev
        self.packets = packets  # (bytes, fixes in it)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.acked = 0

    async def connect(self, host: str, ports: dict[str, int]) -> None:
        from shekara.tracking.clients import EgtsClient, WialonClient

        client: EgtsClient | WialonClient
        if self.dev["protocol"] == "egts":
            client = EgtsClient(host, ports["egts"], self.dev["identifier"])
        else:
            client = WialonClient(host, ports["wialon_ips"], self.dev["identifier"])
        await client.connect(timeout=60)
        self.reader, self.writer = client.reader, client.writer

    async def run(self, interval: float | None = None, rng: random.Random | None = None) -> None:
        """Send every packet as soon as the previous one is acknowledged, or one packet every
        ``interval`` seconds (steady load; the first after a random offset)."""
        assert self.reader is not None and self.writer is not None
        loop = asyncio.get_running_loop()
        next_at = loop.time() + (rng.uniform(0, interval) if interval and rng else 0.0)
        for data, count in self.packets:
            if interval:
                await asyncio.sleep(max(0.0, next_at - loop.time()))
                next_at += interval
            self.writer.write(data)
            await self.writer.drain()
            if self.dev["protocol"] == "egts":
                header = await self.reader.readexactly(11)
                fdl = struct.unpack_from("<H", header, 5)[0]
                body = await self.reader.readexactly(fdl + 2)
                if header[9] != 0 or body[2] != 0:  # PT_RESPONSE with PR = OK
                    raise RuntimeError("EGTS packet refused")
            else:  # one "#AD#1" per fix; any other answer differs from these bytes
                answers = await self.reader.readexactly(len(_AD_OK) * count)
                if answers != _AD_OK * count:
                    raise RuntimeError(f"Wialon refused: {answers!r}")
            self.acked += count
        self.writer.close()


def build_load(plan: list[dict[str, Any]], fixes: int, batch: int, seed: int) -> list[Device]:
    from shekara.telemetry.protocols.egts import encode_fix_packet
    from shekara.telemetry.protocols.wialon import encode_d

    rng = random.Random(seed)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5 * fixes)
    out = []
    for dev in plan:
        items = _fixes(dev, fixes, start, rng)
        packets = []
        for i in range(0, len(items), batch):
            chunk = items[i : i + batch]
            if dev["protocol"] == "egts":
                data = encode_fix_packet(chunk, pid=i // batch + 2, first_rn=i + 2)
            else:
                data = b"".join(encode_d(f) for f in chunk)
            packets.append((data, len(chunk)))
        out.append(Device(dev, packets))
    return out


async def drive(
    devices: list[Device],
    ports: dict[str, int],
    interval: float | None = None,
    on_start: Callable[[], None] = lambda: None,
) -> tuple[float, float]:
    """Connect (and log in) every device, then the clock starts: send and await the
    acknowledgements."""
    sem = asyncio.Semaphore(200)

    async def connect(d: Device) -> None:
        async with sem:
            await d.connect("127.0.0.1", ports)

    await asyncio.gather(*(connect(d) for d in devices))
    await asyncio.sleep(0.5)  # the server's stats file catches up with the logins
    on_start()
    t0 = time.perf_counter()
    rng = random.Random(7)
    await asyncio.gather(*(d.run(interval, rng) for d in devices))
    return t0, time.perf_counter()


def backend_pids(url: str) -> list[int]:
    """PostgreSQL: the server processes that will do the benchmark's work (the backends of the
    benchmark database, the WAL writer, the checkpointer and the background writer), read when
    the server's connections are open. Empty on SQLite, or when the server is not local."""
    if not url.startswith("postgresql"):
        return []
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            pids = c.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE (datname = current_database() "
                    "AND pid <> pg_backend_pid()) OR backend_type IN "
                    "('walwriter', 'checkpointer', 'background writer')"
                )
            ).scalars()
            found = [int(p) for p in pids]
    finally:
        engine.dispose()
    return [p for p in found if Path(f"/proc/{p}/stat").exists()]


def pg_cpu_s(pids: Sequence[int]) -> float:
    """CPU seconds (user + system) the processes used so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def read_stats(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return {}


def run_backend(
    backend: str, args: argparse.Namespace, rate: float | None = None
) -> dict[str, Any]:
    """One run on a fresh database: flat out (``rate`` None) or at ``rate`` fixes/s."""
    load_before = round(os.getloadavg()[0], 2)
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-tracking-{backend}-"))
    url = make_db(backend, workdir)
    t = time.perf_counter()
    setup = populate(url, args.devices, args.seed)
    setup_s = time.perf_counter() - t
    devices = build_load(setup["devices"], args.fixes, args.batch, args.seed)
    total = sum(c for d in devices for _, c in d.packets)
    ports_file, stats_file = workdir / "ports.json", workdir / "stats.json"
    profiler: subprocess.Popen[bytes] | None = None
    server = subprocess.Popen(
        env={**os.environ, "SHEKARA_LOG_LEVEL": "WARNING"},
        args=[
            sys.executable,
            __file__,
            "server",
            "--url",
            url,
            "--ports-file",
            str(ports_file),
            "--stats-file",
            str(stats_file),
            *(["--rules-in-process"] if args.rules_in_process else []),
        ],
    )
    try:
        deadline = time.monotonic() + 600
        while not ports_file.exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)
        ports = json.loads(ports_file.read_text())
        time.sleep(0.5)
        interval = args.devices * args.batch / rate if rate else None
        from shekara.telemetry.gateway.base import fast_event_loop

        fast_event_loop()  # the load generator too: it shares the two cores with the server
        start: dict[str, float] = {}
        profilers: list[subprocess.Popen[bytes]] = []
        pg_pids: list[int] = []

        def on_start() -> None:  # CPU clocks when the measured phase begins
            begin = read_stats(stats_file)
            start["server"] = begin.get("cpu_s", 0.0)
            start["ingest"] = begin.get("ingest_cpu_s", 0.0)
            start["rules"] = begin.get("rules_cpu_s", 0.0)
            start["client"] = time.process_time()
            pg_pids.extend(backend_pids(url))  # now that every connection is open
            start["pg"] = pg_cpu_s(pg_pids)
            if args.profile:  # py-spy the server's measured phase (a dev tool, not a dependency)
                profilers.append(
                    subprocess.Popen(
                        ["py-spy", "record", "--gil", "--subprocesses", "-f", "raw", "-r", "50"]
                        + ["-o", args.profile, "--pid", str(server.pid)]
                    )
                )

        t0, t_acked = asyncio.run(drive(devices, ports, interval, on_start))
        client_cpu = time.process_time() - start["client"]
        if profilers:
            profiler = profilers[0]
        cpu0 = start["server"]
        acked = sum(d.acked for d in devices)
        while True:
            stats = read_stats(stats_file)
            if stats.get("processed", 0) >= total or time.perf_counter() - t_acked > 300:
                break
            time.sleep(0.05)
        t_rules = time.perf_counter()
        pg_used = pg_cpu_s(pg_pids) - start["pg"] if pg_pids else None
        time.sleep(0.5)
        stats = read_stats(stats_file)
    finally:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=60)
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    return {
        "mode": f"steady at {round(rate)} fixes/s" if rate else "saturated (closed loop)",
        "offered_fixes_per_s": round(rate) if rate else None,
        "rules": "thread of the ingest process"
        if args.rules_in_process or backend == "sqlite"
        else "own process",
        "devices": args.devices,
        "geofences": stats.get("fences"),
        "geofence_pieces": stats.get("fence_pieces"),
        "trips": setup["trips"],
        "sectors": setup["sectors"],
        "fixes": total,
        "fixes_acknowledged": acked,
        "fixes_per_packet": args.batch,
        "acknowledged_fixes_per_s": round(acked / (t_acked - t0)),
        "evaluated_fixes_per_s": round(stats.get("processed", 0) / (t_rules - t0)),
        "alert_events": stats.get("alert_events"),
        "fix_to_alert_latency_p50_s": stats.get("latency_p50_s"),
        "fix_to_alert_latency_p99_s": stats.get("latency_p99_s"),
        "fix_to_alert_latency_max_s": stats.get("latency_max_s"),
        "write_batches": stats.get("write_batches"),
        "world_build_s": stats.get("world_build_s"),
        "server_cpu_utilisation": round((stats.get("cpu_s", 0.0) - cpu0) / (t_rules - t0), 2),
        "server_cpu_us_per_fix": round(1e6 * (stats.get("cpu_s", 0.0) - cpu0) / max(1, total)),
        "ingest_cpu_us_per_fix": round(
            1e6 * (stats.get("ingest_cpu_s", 0.0) - start["ingest"]) / max(1, total)
        ),
        "rules_cpu_us_per_fix": round(
            1e6 * (stats.get("rules_cpu_s", 0.0) - start["rules"]) / max(1, total)
        ),
        "load_generator_cpu_us_per_fix": round(1e6 * client_cpu / max(1, acked)),
        "postgres_cpu_us_per_fix": None
        if pg_used is None
        else round(1e6 * pg_used / max(1, total)),
        "setup_s": round(setup_s, 1),
        "load_average_1m": load_before,
    }


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd")
    srv = sub.add_parser("server")
    srv.add_argument("--url", required=True)
    srv.add_argument("--ports-file", type=Path, required=True)
    srv.add_argument("--stats-file", type=Path, required=True)
    srv.add_argument("--rules-in-process", action="store_true")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--fixes", type=int, default=20, help="fixes per device")
    parser.add_argument("--batch", type=int, default=5, help="fixes per packet")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", default="", help="py-spy the server into this file")
    parser.add_argument(
        "--rules-in-process",
        action="store_true",
        help="rules in a thread of the server process (default on PostgreSQL: a process of "
        "their own; on SQLite always a thread, as `shekara tracking ingest` does)",
    )
    parser.add_argument(
        "--steady-fraction",
        type=float,
        default=0.5,
        help="then a steady run at this fraction of the saturated rate (0: none)",
    )
    parser.add_argument(
        "--rate", type=float, default=0.0, help="only a steady run at this many fixes/s"
    )
    parser.add_argument(
        "--steady-rates",
        type=float,
        nargs="+",
        default=[],
        help="after the saturated run, steady runs at each of these rates (fixes/s) instead "
        "of --steady-fraction",
    )
    args = parser.parse_args()
    if args.cmd == "server":
        serve(args.url, args.ports_file, args.stats_file, args.rules_in_process)
        return
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if args.rate:
            runs = [run_backend(backend, args, rate=args.rate)]
        else:
            runs = [run_backend(backend, args)]
        if args.steady_rates and not args.rate:
            runs.extend(run_backend(backend, args, rate=rate) for rate in args.steady_rates)
        elif args.steady_fraction > 0 and not args.rate:
            rate = args.steady_fraction * runs[0]["evaluated_fixes_per_s"]
            runs.append(run_backend(backend, args, rate=rate))
        report = {
            "backend": backend,
            "runs": runs,
            "targets": {"fixes_per_s": TARGET_FIXES_S, "latency_p99_s": TARGET_P99_S},
            "machine": machine(),
            "command": " ".join(["python bench/bench_tracking.py", *sys.argv[1:]]),
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"tracking-{backend}.json").write_text(json.dumps(report, indent=2) + "\n")
        for r in runs:
            print(
                f"{backend}, {r['mode']}: {r['devices']} devices, {r['geofences']} geofences "
                f"({r['geofence_pieces']} pieces), {r['fixes']} fixes, "
                f"{r['fixes_per_packet']} per packet"
            )
            print(f"  acknowledged (TCP -> durable): {r['acknowledged_fixes_per_s']:,} fixes/s")
            print(
                f"  evaluated (TCP -> stored -> rules): {r['evaluated_fixes_per_s']:,} "
                f"fixes/s (target {TARGET_FIXES_S:,})"
            )
            print(
                f"  fix-to-alert latency: p50 {r['fix_to_alert_latency_p50_s']} s, "
                f"p99 {r['fix_to_alert_latency_p99_s']} s over {r['alert_events']} alert "
                f"events (target p99 < {TARGET_P99_S} s)"
            )
            print(
                f"  CPU per fix: server {r['server_cpu_us_per_fix']} µs (ingest "
                f"{r['ingest_cpu_us_per_fix']}, rules {r['rules_cpu_us_per_fix']}), PostgreSQL "
                f"{r['postgres_cpu_us_per_fix']} µs, load generator "
                f"{r['load_generator_cpu_us_per_fix']} µs; load average "
                f"{r['load_average_1m']} at the start"
            )


if __name__ == "__main__":
    main()
