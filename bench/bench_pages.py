"""Web console page latency (issue #3): p50/p95 per page on the demo dataset.

    shekara demo --no-serve            # loads the demo dataset into var/ (once)
    python bench/bench_pages.py [--user kz-ps-knb.supervisor] [--n 25] [--only /map]

Starts the real app under uvicorn on a free port, signs in through the login form like a
browser, then requests each main page N times in a row. Prints a table and saves
bench/results/pages.json with the machine, its load and the dataset size. Target: p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import statistics
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import func, select

from shekara.api.app import create_app
from shekara.db.engine import make_engine, make_sessionmaker
from shekara.incidents.models import Incident
from shekara.persons.models import Person
from shekara.settings import Settings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--user", default="kz-ps-knb.supervisor")
    ap.add_argument("--password", default="shekara-demo")
    ap.add_argument("--n", type=int, default=25)
    ap.add_argument(
        "--only",
        default="",
        help="measure only the pages whose path starts with this; results merged into the file",
    )
    args = ap.parse_args()
    settings = Settings(env="development")
    engine = make_engine(settings)
    with make_sessionmaker(engine)() as s:
        sizes = {
            "persons": s.execute(select(func.count()).select_from(Person)).scalar_one(),
            "incidents": s.execute(select(func.count()).select_from(Incident)).scalar_one(),
        }
    app = create_app(settings, engine)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    c = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
    page = c.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    r = c.post(
        "/login",
        data={"username": args.user, "password": args.password, "csrf_token": token.group(1)},
        follow_redirects=True,
    )
    assert 'action="/logout"' in r.text, "login failed: load the demo dataset first"
    inc = re.search(r'href="/records/incidents/([0-9a-f-]{36})"', c.get("/records/incidents").text)
    per = re.search(r'href="/records/persons/([0-9a-f-]{36})"', c.get("/records/persons").text)
    assert inc and per
    paths = [
        "/search",
        "/search?q=ivanov",
        "/search?q=Иванов",
        f"/records/incidents/{inc.group(1)}",
        f"/records/persons/{per.group(1)}",
        "/records/incidents",
        "/records/persons",
        "/incidents/new",
        "/map",
        "/map/incidents.geojson?since=2025-01-01",
        "/map/incidents.geojson",
        "/map/places.geojson?kind=checkpoint",
        "/map/places.geojson?kind=border_section",
        "/dashboard",
        "/audit",
    ]
    out_file = Path("bench/results/pages.json")
    results = {}
    if args.only and out_file.exists():
        results = json.loads(out_file.read_text()).get("results", {})
    for p in [p for p in paths if p.startswith(args.only)]:
        c.get(p)
        xs = []
        cpu = 0.0
        for _ in range(args.n):
            t = time.perf_counter()
            c0 = time.process_time()  # server and client share this process
            r = c.get(p)
            cpu += time.process_time() - c0
            xs.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, (p, r.status_code)
        xs.sort()
        p95 = xs[max(0, int(len(xs) * 0.95) - 1)]
        results[p] = {
            "p50_ms": round(statistics.median(xs), 1),
            "p95_ms": round(p95, 1),
            "cpu_ms_per_request": round(cpu / args.n * 1000, 1),
            "kib": len(r.content) // 1024,
            "under_300ms_p95": p95 < 300,
        }
        print(
            f"{p[:48]:48s} p50 {results[p]['p50_ms']:7.1f} ms  p95 {p95:7.1f} ms  "
            f"cpu {results[p]['cpu_ms_per_request']:6.1f} ms  {results[p]['kib']} KiB"
        )
    server.should_exit = True
    out = {
        "benchmark": "pages",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "dataset": sizes,
        "requests_per_page": args.n,
        "user": args.user,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
        },
        "results": results,
    }
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
