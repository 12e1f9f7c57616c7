"""Live map benchmark (issue 5): 10,000 moving objects on the console's live map.

    python bench/bench_live_map.py [--devices 10000] [--moves 1000] [--ticks 10]
                                   [--backend sqlite|postgres] [--no-browser]

1. Loads ``--devices`` devices with a latest position each (spread over Kazakhstan) into a fresh
   database, with the ingest pipeline's own ``write_fixes``.
2. **Server, in process:** the code the socket runs (:class:`shekara.tracking.live.LiveView`:
   read the positions received since the last tick, viewport filter, diff, clustering, audit)
   for a viewer who sees every device, with ``--moves`` devices moving each second: wall and
   CPU milliseconds per subscribe and per tick, and message sizes (JSON, and deflated as the
   socket's permessage-deflate sends them). Three views: the whole region with the default cap
   (grid clusters), the whole region with the cap raised to 20,000 (every object), one city.
3. **Over the socket:** the real app under uvicorn in a subprocess; a client signs in through
   the login form and subscribes over ``/tracking/live``; snapshot size and time, delta sizes
   and the server process's CPU while objects move.
4. **Chromium:** the /tracking page with every object sent (``?cap=20000``): time to take a
   10,000-object snapshot (parse, index, draw), draw time clustered and unclustered, while
   panning and while objects move.

Results: bench/results/live-map.json (PostgreSQL: live-map-postgres.json), with the machine and
its load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

import shekara.db.models  # noqa: F401 - every table
from shekara.accounts.constants import Role
from shekara.accounts.models import User
from shekara.accounts.security import hash_password
from shekara.accounts.service import viewer_for
from shekara.agencies.constants import AgencyKind
from shekara.agencies.models import Agency
from shekara.db.engine import make_engine
from shekara.db.migrate import upgrade
from shekara.settings import Settings
from shekara.telemetry.protocols.fix import Fix
from shekara.tracking.constants import DeviceKind
from shekara.tracking.live import LiveView
from shekara.tracking.models import Device
from shekara.tracking.storage import write_fixes
from shekara.vocab.seed import seed_countries

RESULTS = Path(__file__).parent / "results"
PASSWORD = "bench-live-map-password"
SECRET = "bench-live-map-secret-key-0123456789abcdef"
REGION = (47.0, 41.0, 85.0, 55.0)  # west, south, east, north
CITY = (76.6, 43.0, 77.2, 43.5)  # Almaty
KINDS = [DeviceKind.tracker] * 6 + [DeviceKind.seal] * 2 + [DeviceKind.patrol, DeviceKind.uav]
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def ms(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    v = sorted(values)
    return {
        "p50": round(statistics.median(v), 2),
        "p95": round(v[min(len(v) - 1, int(0.95 * len(v)))], 2),
        "max": round(v[-1], 2),
        "n": len(v),
    }


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


# --- data ------------------------------------------------------------------------------------


def database(backend: str, tmp: Path) -> str:
    if backend == "postgres":
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text('DROP DATABASE IF EXISTS "shekara_bench_live" WITH (FORCE)'))
            c.execute(text('CREATE DATABASE "shekara_bench_live"'))
        admin.dispose()
        return PG_ADMIN.rsplit("/", 1)[0] + "/shekara_bench_live"
    return f"sqlite:///{tmp / 'live.db'}"


def load(
    engine: Engine, n: int, rng: random.Random
) -> tuple[list[uuid.UUID], dict[uuid.UUID, Any]]:
    with Session(engine) as s:
        seed_countries(s, ["KZ"])
        agency = Agency(
            code="KZ-BS", name="Border Service", country="KZ", kind=AgencyKind.border, contact="x"
        )
        s.add(agency)
        s.flush()
        s.add(
            User(
                username="duty",
                display_name="duty",
                agency_id=agency.id,
                role=Role.duty_officer,
                password_hash=hash_password(PASSWORD),
            )
        )
        rows = [
            Device(
                kind=KINDS[i % len(KINDS)],
                identifier=f"99{i:013d}",
                label=f"Object {i:05d}",
                owner_agency_id=agency.id,
                owner_country="KZ",
                report_period_s=10,
            )
            for i in range(n)
        ]
        s.add_all(rows)
        s.commit()
        ids = [d.id for d in rows]
    w, so, e, no = REGION
    places = {
        d: [so + rng.random() * (no - so), w + rng.random() * (e - w), rng.random() * 360]
        for d in ids
    }
    # a tenth of them in and around Almaty, as around a city
    for d in ids[: n // 10]:
        places[d][0] = 43.0 + rng.random() * 0.5
        places[d][1] = 76.6 + rng.random() * 0.6
    move(engine, ids, places, rng)
    return ids, places


def move(
    engine: Engine, ids: list[uuid.UUID], places: dict[uuid.UUID, Any], rng: random.Random
) -> None:
    now = datetime.now(UTC)
    fixes = []
    for d in ids:
        p = places[d]
        p[0] += rng.uniform(-0.002, 0.002)
        p[1] += rng.uniform(-0.002, 0.002)
        p[2] = (p[2] + rng.uniform(-20, 20)) % 360
        fixes.append(
            Fix(
                device_id=str(d),
                fix_time=now,
                lat=round(p[0], 6),
                lon=round(p[1], 6),
                valid=True,
                speed_kmh=round(rng.uniform(0, 90), 1),
                course_deg=round(p[2]),
                satellites=9,
                hdop=0.9,
                received_at=now,
                protocol="egts",
            )
        )
    for i in range(0, len(fixes), 2000):
        with engine.begin() as conn:
            write_fixes(conn, fixes[i : i + 2000])


# --- 2. the server's tick, in process --------------------------------------------------------


def server_ticks(
    engine: Engine,
    ids: list[uuid.UUID],
    places: dict[uuid.UUID, Any],
    rng: random.Random,
    args: argparse.Namespace,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    views = {
        "region_clusters (default cap 5,000)": (REGION, 5, None),
        "region_objects (cap 20,000)": (REGION, 5, 20_000),
        "city (Almaty, zoom 11)": (CITY, 11, None),
    }
    with Session(engine) as s:
        user = s.query(User).filter_by(username="duty").one()
        viewer = viewer_for(s, user)
    for name, (bbox, zoom, cap) in views.items():
        view = LiveView(viewer)
        with Session(engine) as s:
            w0, c0 = time.perf_counter(), time.process_time()
            snap = view.subscribe(s, bbox, zoom, cap)
            s.commit()
            snap_wall, snap_cpu = time.perf_counter() - w0, time.process_time() - c0
        body = json.dumps(snap, separators=(",", ":")).encode()
        walls, cpus, sizes, deflated, counts = [], [], [], [], []
        for _ in range(args.ticks):
            time.sleep(1.0)
            move(engine, rng.sample(ids, args.moves), places, rng)
            with Session(engine) as s:
                w0, c0 = time.perf_counter(), time.process_time()
                msg = view.tick(s)
                s.commit()
                walls.append((time.perf_counter() - w0) * 1000)
                cpus.append((time.process_time() - c0) * 1000)
            raw = json.dumps(msg or {}, separators=(",", ":")).encode()
            sizes.append(len(raw))
            deflated.append(len(zlib.compress(raw, 6)))
            counts.append(len((msg or {}).get("objects", [])))
        out[name] = {
            "mode": snap["mode"],
            "objects_in_view": snap["total"],
            "snapshot": {
                "wall_ms": round(snap_wall * 1000, 1),
                "cpu_ms": round(snap_cpu * 1000, 1),
                "bytes": len(body),
                "deflated_bytes": len(zlib.compress(body, 6)),
                "clusters": len(snap.get("clusters", [])),
            },
            "tick_wall_ms": ms(walls),
            "tick_cpu_ms": ms(cpus),
            "tick_bytes": ms([float(x) for x in sizes]),
            "tick_deflated_bytes": ms([float(x) for x in deflated]),
            "objects_per_tick": ms([float(x) for x in counts]),
        }
        print(name, json.dumps(out[name]))
    return out


# --- 3. over the socket ----------------------------------------------------------------------


def serve(url: str, port: int) -> None:
    import uvicorn

    from shekara.api.app import create_app

    settings = Settings(
        env="development", database_url=url, secret_key=SECRET, audit_seal_seconds=0
    )
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sign_in(base: str) -> str:
    with httpx.Client(base_url=base, follow_redirects=False) as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
        assert token
        r = c.post(
            "/login", data={"username": "duty", "password": PASSWORD, "csrf_token": token[1]}
        )
        assert r.status_code == 303, r.text
        return str(c.cookies["shekara_session"])


def over_socket(
    base: str,
    pid: int,
    cookie: str,
    ids: list[uuid.UUID],
    places: dict[uuid.UUID, Any],
    engine: Engine,
    rng: random.Random,
    args: argparse.Namespace,
) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    async def run(cap: int | None) -> dict[str, Any]:
        uri = base.replace("http://", "ws://") + "/tracking/live"
        headers = {"Cookie": f"shekara_session={cookie}", "Origin": base}
        async with connect(uri, additional_headers=headers, max_size=2**26) as ws:
            json.loads(await ws.recv())
            sub: dict[str, Any] = {"type": "subscribe", "bbox": list(REGION), "zoom": 5}
            if cap:
                sub["cap"] = cap
            t0 = time.perf_counter()
            await ws.send(json.dumps(sub))
            snap_raw = await ws.recv()
            snap_s = time.perf_counter() - t0
            snap = json.loads(snap_raw)
            stop = threading.Event()

            def mover() -> None:
                while not stop.is_set():
                    t = time.monotonic()
                    move(engine, rng.sample(ids, args.moves), places, rng)
                    stop.wait(max(0.0, 1.0 - (time.monotonic() - t)))

            th = threading.Thread(target=mover, daemon=True)
            cpu0, w0 = cpu_seconds(pid), time.monotonic()
            th.start()
            sizes, counts = [], []
            while time.monotonic() - w0 < args.ticks:
                try:
                    raw = await asyncio.wait_for(ws.recv(), 3)
                except TimeoutError:
                    continue
                sizes.append(len(raw))
                counts.append(len(json.loads(raw).get("objects", [])))
            stop.set()
            th.join()
            span = time.monotonic() - w0
            cpu = cpu_seconds(pid) - cpu0
            return {
                "mode": snap["mode"],
                "objects_in_view": snap["total"],
                "snapshot_s": round(snap_s, 3),
                "snapshot_bytes": len(snap_raw),
                "messages_per_s": round(len(sizes) / span, 2),
                "delta_bytes": ms([float(x) for x in sizes]),
                "objects_per_delta": ms([float(x) for x in counts]),
                "server_cpu_per_s": round(cpu / span, 3),
            }

    out = {}
    for name, cap in (("region_clusters", None), ("region_objects", 20_000)):
        out[name] = asyncio.run(run(cap))
        print("socket", name, json.dumps(out[name]))
    return out


# --- 4. Chromium -------------------------------------------------------------------------------


def in_browser(
    base: str,
    cookie: str,
    ids: list[uuid.UUID],
    places: dict[uuid.UUID, Any],
    engine: Engine,
    rng: random.Random,
    args: argparse.Namespace,
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic"],
        )
        ctx = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=base)
        ctx.add_cookies([{"name": "shekara_session", "value": cookie, "url": base}])
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto("/tracking?cap=20000")
        page.wait_for_function("() => (window.shekaraLive.stats.snapshots || 0) >= 1")
        n0 = page.evaluate("() => window.shekaraLive.stats.snapshots")
        page.evaluate("() => window.shekaraLive.map.fitBounds([[41, 47], [55, 85]])")
        page.wait_for_function(f"() => window.shekaraLive.stats.snapshots > {n0}")
        page.wait_for_timeout(500)
        snap = page.evaluate("() => Object.assign({}, window.shekaraLive.stats)")
        out["objects_held"] = page.evaluate("() => window.shekaraLive.objects.size")
        out["snapshot_message"] = {
            "bytes": snap["snapshotBytes"],
            "handle_ms (parse, index, draw)": round(snap["snapshotMs"], 1),
        }

        def draws(expr: str, n: int = 20) -> dict[str, float]:
            times = page.evaluate(
                f"""() => {{ const L = window.shekaraLive, t = [];
                for (let i = 0; i < {n}; i++) {{ {expr}; L.draw(); t.push(L.stats.lastDrawMs); }}
                return t; }}"""
            )
            return ms(times)

        out["draw_clustered_ms"] = draws("")
        out["drawn_clustered"] = page.evaluate(
            "() => ({drawn: window.shekaraLive.stats.drawn,"
            " in_clusters: window.shekaraLive.stats.clustered})"
        )
        page.evaluate("() => { window.shekaraLive.options.clusterBelowZoom = 0; }")
        out["draw_unclustered_ms"] = draws("")
        out["drawn_unclustered"] = page.evaluate("() => window.shekaraLive.stats.drawn")
        page.evaluate("() => { window.shekaraLive.options.clusterBelowZoom = 13; }")
        out["pan_frame_clustered_ms"] = draws(
            "L.map.panBy([i % 2 ? -40 : 40, 0], {animate: false})"
        )
        # objects moving: deltas arrive every second; time each message's handling
        stop = threading.Event()

        def mover() -> None:
            while not stop.is_set():
                t = time.monotonic()
                move(engine, rng.sample(ids, args.moves), places, rng)
                stop.wait(max(0.0, 1.0 - (time.monotonic() - t)))

        th = threading.Thread(target=mover, daemon=True)
        th.start()
        samples = page.evaluate(
            f"""() => new Promise(done => {{
                const L = window.shekaraLive, seen = [], t0 = performance.now();
                let last = L.stats.messages;
                const iv = setInterval(() => {{
                    if (L.stats.messages !== last) {{
                        last = L.stats.messages;
                        seen.push([L.stats.lastMsgMs, L.stats.lastMsgBytes]);
                    }}
                    if (performance.now() - t0 > {args.ticks * 1000}) {{
                        clearInterval(iv); done(seen);
                    }}
                }}, 20);
            }})"""
        )
        stop.set()
        th.join()
        out["delta_handle_ms"] = ms([s[0] for s in samples])
        out["delta_bytes"] = ms([float(s[1]) for s in samples])
        out["javascript_errors"] = errors
        page.screenshot(path=str(Path(tempfile.gettempdir()) / "live-map-bench.png"))
        browser.close()
    print("browser", json.dumps(out))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd")
    srv = sub.add_parser("serve")
    srv.add_argument("--url", required=True)
    srv.add_argument("--port", type=int, required=True)
    ap.add_argument("--devices", type=int, default=10_000)
    ap.add_argument("--moves", type=int, default=1000, help="devices moving each second")
    ap.add_argument("--ticks", type=int, default=10, help="seconds measured per view")
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.cmd == "serve":
        serve(args.url, args.port)
        return
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        url = database(args.backend, Path(tmp))
        engine = make_engine(Settings(env="test", audit_seal_seconds=0), url)
        upgrade(engine)
        t0 = time.perf_counter()
        ids, places = load(engine, args.devices, rng)
        print(f"loaded {args.devices} devices in {time.perf_counter() - t0:.1f} s")
        report: dict[str, Any] = {
            "command": "python bench/bench_live_map.py " + " ".join(sys.argv[1:]),
            "backend": args.backend,
            "devices": args.devices,
            "moving_per_s": args.moves,
            "machine": machine(),
            "server_in_process": server_ticks(engine, ids, places, rng, args),
        }
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, __file__, "serve", "--url", url, "--port", str(port)]
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(base + "/health", timeout=2)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.3)
            cookie = sign_in(base)
            report["socket"] = over_socket(base, proc.pid, cookie, ids, places, engine, rng, args)
            if not args.no_browser:
                report["chromium"] = in_browser(base, cookie, ids, places, engine, rng, args)
        finally:
            proc.terminate()
            proc.wait(10)
        report["machine"]["load_average_1m_end"] = round(os.getloadavg()[0], 2)
        RESULTS.mkdir(exist_ok=True)
        name = "live-map.json" if args.backend == "sqlite" else f"live-map-{args.backend}.json"
        (RESULTS / name).write_text(json.dumps(report, indent=2) + "\n")
        engine.dispose()


if __name__ == "__main__":
    main()
