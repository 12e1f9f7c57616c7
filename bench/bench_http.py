"""Authorised record reads per second over HTTP: `shekara serve --workers N` driven by wrk.

    python bench/bench_http.py --persons 1000000 --incidents 1000000 [--workers 2] [--seconds 15]

Uses the PostgreSQL database that ``bench/bench_records.py --backend postgres`` loads (same sizes),
issues one API token per bench user, starts the real server (uvicorn, N processes) and runs
``wrk`` (Debian package ``wrk``) with a Lua script that reads random persons or incidents with
random users' tokens: each request is a full ``GET /api/v1/<resource>/<id>`` with the token
lookup, the sharing policy, the audit entry and the JSON answer (404 for records the user may not
see, exactly as for a missing one). wrk runs on the same 2 cores, so the figure is a lower bound.
The server's CPU time per request (all its processes) is also reported: it does not grow with
the load of other processes, so it compares runs taken at different loads.
Prints and saves JSON to bench/results/http-postgres.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from shekara.accounts.models import ApiToken, User
from shekara.accounts.security import new_token, token_digest
from shekara.db.engine import make_engine, make_sessionmaker
from shekara.incidents.models import Incident
from shekara.persons.models import Person
from shekara.settings import Settings

LUA = """
local ids = {%(ids)s}
local tokens = {%(tokens)s}
local path = "/api/v1/%(resource)s/"
math.randomseed(%(seed)d)
request = function()
  local h = {["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]}
  return wrk.format("GET", path .. ids[math.random(#ids)], h)
end
"""


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return float("nan")
    v, unit = float(m.group(1)), m.group(2)
    return round(v / 1000 if unit == "us" else v * 1000 if unit == "s" else v, 2)


def parse_wrk(out: str, seconds: float) -> dict[str, Any]:
    res: dict[str, Any] = {}
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["requests_per_s"] = float(m.group(1)) if m else 0.0
    for p in ("50", "90", "99"):
        m = re.search(rf"^\s+{p}(?:\.000)?%\s+(\S+)", out, re.M)
        res[f"p{p}_ms"] = _ms(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    non2xx = int(m.group(1)) if m else 0
    res["not_visible_share"] = round(non2xx / max(1, res["requests"]), 3)
    m = re.search(r"Socket errors: (.*)", out)
    res["socket_errors"] = m.group(1) if m else ""
    return res


def _tree_cpu_seconds(root: int) -> float:
    """CPU time (user + system) of ``root`` and its descendants: the server's own cost, which the
    load of other processes on the machine does not inflate the way it inflates latencies."""
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(d)] = int(fields[1])
        cpu[int(d)] = (int(fields[11]) + int(fields[12])) / tick
    tree, frontier = {root}, [root]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parent.items() if pp == p and c not in tree]
        tree.update(kids)
        frontier.extend(kids)
    return sum(cpu.get(p, 0.0) for p in tree)


def _backend_cpu_seconds(url: str, dbname: str) -> dict[int, float]:
    """CPU time (user + system) of each PostgreSQL backend connected to ``dbname`` (the
    server's pooled connections): the database's share of a request's cost."""
    tick = os.sysconf("SC_CLK_TCK")
    engine = make_engine(Settings(), url)
    with engine.connect() as c:
        pids = (
            c.execute(
                text(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = :d AND pid <> pg_backend_pid()"
                ),
                {"d": dbname},
            )
            .scalars()
            .all()
        )
    engine.dispose()
    out: dict[int, float] = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def cpu_probe_ms() -> float:
    """CPU time of a fixed pure-Python loop: this VM's cores run at a speed that varies with its
    neighbours (±25% from minute to minute), which moves every figure here; recorded with each
    run so that runs can be compared."""
    t = time.process_time()
    x = 0
    for i in range(2_000_000):
        x += i * i
    return round(1000 * (time.process_time() - t), 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--incidents", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2, help="server processes")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    tag = f"{args.persons}p_{args.incidents}i"
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/shekara_bench_{tag}"
    engine = make_engine(Settings(), url)
    sm = make_sessionmaker(engine)
    rng = random.Random(args.seed)
    with sm() as s:
        users = list(s.execute(select(User).where(User.username.like("bench-%"))).scalars())
        if not users:
            sys.exit(f"no bench data in {url}: run bench/bench_records.py --backend postgres first")
        tokens = []
        now = datetime.now(UTC)
        for u in users:
            tok = new_token()
            s.add(
                ApiToken(
                    user_id=u.id,
                    token_hash=token_digest(tok),
                    name="bench",
                    created_at=now,
                    expires_at=now + timedelta(hours=1),
                )
            )
            tokens.append(tok)
        n = args.persons
        pids = list(
            s.execute(
                select(Person.id).limit(5000).offset(rng.randrange(max(1, n - 5000)))
            ).scalars()
        )
        iids = list(s.execute(select(Incident.id).limit(5000)).scalars())
        s.commit()
    # Every read appends an audit entry that the sealer then updates: vacuum what earlier runs
    # left, as autovacuum does on a production server (this machine's server runs without it).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM (ANALYZE) audit_log"))
    engine.dispose()
    env = {
        **os.environ,
        "SHEKARA_DATABASE_URL": url,
        "SHEKARA_LOG_LEVEL": "WARNING",
        "SHEKARA_WORKERS": str(args.workers),
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "shekara"), "serve", "--port", str(args.port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    results: dict[str, Any] = {}
    try:
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)
                break
            except Exception:
                time.sleep(0.5)
        for resource, ids in (("persons", pids), ("incidents", iids)):
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
                f.write(
                    LUA
                    % {
                        "ids": ",".join(f'"{i}"' for i in ids),
                        "tokens": ",".join(f'"{t}"' for t in tokens),
                        "resource": resource,
                        "seed": args.seed,
                    }
                )
                script = f.name
            warm = ["wrk", "-t1", f"-c{args.connections}", "-d3s", "-s", script, base]
            subprocess.run(warm, capture_output=True, check=True)
            cmd = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.seconds}s", "--latency"]
            probe = cpu_probe_ms()
            cpu0, load0 = _tree_cpu_seconds(server.pid), os.getloadavg()[0]
            db0 = _backend_cpu_seconds(url, f"shekara_bench_{tag}")
            out = subprocess.run(
                [*cmd, "-s", script, base], capture_output=True, text=True, check=True
            ).stdout
            cpu = _tree_cpu_seconds(server.pid) - cpu0
            db1 = _backend_cpu_seconds(url, f"shekara_bench_{tag}")
            db_cpu = sum(v - db0[p] for p, v in db1.items() if p in db0)
            os.unlink(script)
            res = parse_wrk(out, args.seconds)
            res["server_cpu_ms_per_request"] = round(1000 * cpu / max(1, res["requests"]), 3)
            # the server's database connections (those open through the whole run)
            res["postgres_cpu_ms_per_request"] = round(1000 * db_cpu / max(1, res["requests"]), 3)
            res["cpu_probe_ms_before"] = probe
            res["load_average_1min_before_after"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
            results[f"{resource}_detail"] = res
            print(resource, results[f"{resource}_detail"], file=sys.stderr)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    result = {
        "benchmark": "http",
        "backend": "postgres",
        "dataset": {"persons": args.persons, "incidents": args.incidents},
        "server": {"workers": args.workers, "client": f"wrk -t1 -c{args.connections}"},
        "machine": {
            "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "audit": "on (one hash-chained entry per request)",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": results,
    }
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    result["code"] = commit + (" (uncommitted changes)" if _dirty() else "")
    out_path = Path("bench/results/http-postgres.json")
    # earlier runs stay in the file (newest last), for comparing runs at different speeds
    runs: list[dict[str, Any]] = []
    if out_path.exists():
        old = json.loads(out_path.read_text())
        runs = old.pop("runs", [])
        if not runs or runs[-1].get("at") != old.get("at"):
            runs.append(old)
    result["runs"] = [*runs, {k: v for k, v in result.items() if k != "runs"}]
    out_path.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


def _dirty() -> bool:
    out = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "src"],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    return bool(out.strip())


if __name__ == "__main__":
    main()
