"""Screening pages of the console (issue #4): latency of the checkpoint form and the lists, and a
manifest screened step by step through the page's own requests.

    shekara demo --no-serve && shekara screen reindex      # the demo dataset (once)
    python bench/bench_screening_pages.py [--n 30] [--rows 1000]

Real app under uvicorn on a free port, signed in through the login form, sequential requests.
CPU time is that of this process (server and client together). Saves
bench/results/screening-pages.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import socket
import statistics
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import select

from shekara.api.app import create_app
from shekara.db.engine import make_engine, make_sessionmaker
from shekara.persons.models import Person
from shekara.screening.translit import transliterate
from shekara.settings import Settings
from shekara.vehicles.models import Vehicle

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _token(c: httpx.Client, path: str) -> str:
    m = CSRF.search(c.get(path).text)
    assert m, path
    return m.group(1)


def _stats(xs: list[float], cpu: float) -> dict[str, Any]:
    xs = sorted(xs)
    return {
        "p50_ms": round(statistics.median(xs), 1),
        "p95_ms": round(xs[max(0, int(len(xs) * 0.95) - 1)], 1),
        "cpu_ms_per_request": round(cpu / len(xs) * 1000, 1),
        "n": len(xs),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--user", default="kz-ps-knb.supervisor")
    ap.add_argument("--password", default="shekara-demo")
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--rows", type=int, default=1000)
    args = ap.parse_args()
    rnd = random.Random(4)
    settings = Settings(env="development")
    engine = make_engine(settings)
    with make_sessionmaker(engine)() as s:
        people = s.execute(
            select(Person.display_name, Person.birth_year, Person.birth_month, Person.birth_day)
        ).all()
        plates = list(s.execute(select(Vehicle.plate)).scalars())
    app = create_app(settings, engine)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    c = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300)
    r = c.post(
        "/login",
        data={"username": args.user, "password": args.password, "csrf_token": _token(c, "/login")},
        follow_redirects=True,
    )
    assert 'action="/logout"' in r.text, "login failed: load the demo dataset first"
    token = _token(c, "/screening")
    blank = dict.fromkeys(("name", "birth_date", "nationality", "document", "plate", "mrz"), "")

    def dob(p: Any) -> str:
        return f"{p.birth_day or 1:02d}.{p.birth_month or 1:02d}.{p.birth_year}"

    sample = rnd.sample([p for p in people if p.birth_year], args.n)
    forms: dict[str, list[dict[str, str]]] = {
        "POST /screening (name as recorded + date of birth)": [
            {**blank, "name": p.display_name, "birth_date": dob(p)} for p in sample
        ],
        "POST /screening (ICAO Latin of the name, swapped order)": [
            {**blank, "name": " ".join(reversed(transliterate(p.display_name, "icao").split()))}
            for p in sample
        ],
        "POST /screening (plate)": [{**blank, "plate": pl} for pl in rnd.sample(plates, args.n)],
    }
    results: dict[str, Any] = {}
    for label, bodies in forms.items():
        xs, cpu = [], 0.0
        for body in bodies:
            t, c0 = time.perf_counter(), time.process_time()
            r = c.post("/screening", data={**body, "csrf_token": token})
            cpu += time.process_time() - c0
            xs.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, (label, r.status_code)
        results[label] = _stats(xs, cpu)
    for path in ("/screening", "/screening/watchlist", "/screening/hits", "/screening/resolution"):
        c.get(path)
        xs, cpu = [], 0.0
        for _ in range(args.n):
            t, c0 = time.perf_counter(), time.process_time()
            r = c.get(path)
            cpu += time.process_time() - c0
            xs.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, (path, r.status_code)
        results[f"GET {path}"] = _stats(xs, cpu)

    # a manifest: half people of the dataset, half strangers, through the page's steps
    lines = ["name;birth_date;nationality"]
    for i in range(args.rows):
        if i % 2:
            p = rnd.choice(people)
            lines.append(f"{transliterate(p.display_name, 'icao')};{p.birth_year or ''};")
        else:
            lines.append(f"Stranger{i} Unknownov{i};19{50 + i % 50};RU")
    t0, c0 = time.perf_counter(), time.process_time()
    r = c.post(
        "/screening/manifest",
        data={"csrf_token": _token(c, "/screening/manifest")},
        files={"file": ("bench.csv", "\n".join(lines).encode(), "text/csv")},
        follow_redirects=True,
    )
    job = str(r.url)
    step_ms: list[float] = []
    while "result.csv" not in r.text:
        t = time.perf_counter()
        r = c.post(job + "/step", data={"csrf_token": token}, headers={"HX-Request": "true"})
        step_ms.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (r.status_code, r.text[-600:])
    total = time.perf_counter() - t0
    results[f"manifest of {args.rows} rows, stepped"] = {
        "wall_s": round(total, 2),
        "cpu_s": round(time.process_time() - c0, 2),
        "steps": len(step_ms),
        "step_p50_ms": round(statistics.median(step_ms), 1),
        "step_max_ms": round(max(step_ms), 1),
        "rows_per_s": round(args.rows / total, 1),
    }
    assert c.get(job + "/result.csv").status_code == 200
    server.should_exit = True
    for k, v in results.items():
        print(f"{k:58s} {v}")
    out = {
        "benchmark": "screening-pages",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "dataset": {"persons": len(people), "vehicles": len(plates)},
        "user": args.user,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
        },
        "results": results,
    }
    out_file = Path("bench/results/screening-pages.json")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
