"""Authorised record reads per second and list/search latency, audit on, SQLite and PostgreSQL.

    python bench/bench_records.py --backend sqlite --persons 1000000 --incidents 1000000
    python bench/bench_records.py --backend postgres --persons 1000000 --incidents 1000000

Loads a deterministic synthetic dataset (seeded; bulk inserts) unless the database already holds
it, then measures through the service layer that the API calls (policy + audit + serialisation,
one transaction per request, as an HTTP request does). Prints and saves JSON to
bench/results/records-<backend>.json with the machine and the dataset size. Detail reads also
report the readers' CPU time per read (``cpu_ms_per_read``, the database server's excluded): it
does not grow with the load of other processes, so it compares runs taken at different loads.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text

from shekara.accounts.constants import Role
from shekara.accounts.models import User
from shekara.accounts.service import viewer_for
from shekara.agencies.constants import AgencyKind
from shekara.agencies.models import Agency
from shekara.core.text import name_tokens, search_key
from shekara.db.engine import make_engine, make_sessionmaker
from shekara.db.migrate import upgrade
from shekara.errors import NotFound
from shekara.incidents.models import Incident
from shekara.incidents.resource import INCIDENTS
from shekara.persons.models import Person, PersonName, PersonNameToken
from shekara.persons.resource import PERSONS
from shekara.records.service import get_record, list_records
from shekara.search.service import search
from shekara.settings import Settings
from shekara.vocab.seed import seed_countries, seed_vocabularies

SURNAMES = [
    "Нургалиев",
    "Иванов",
    "Ахметов",
    "Сулейменов",
    "Петров",
    "Каримов",
    "Абдуллаев",
    "Жумабаев",
    "Смирнов",
    "Рахимов",
    "Омаров",
    "Кузнецов",
    "Исмаилов",
    "Турсунов",
]
GIVEN = [
    "Ерлан",
    "Алексей",
    "Бауыржан",
    "Дмитрий",
    "Азамат",
    "Руслан",
    "Сергей",
    "Тимур",
    "Нурлан",
    "Андрей",
    "Айгуль",
    "Мария",
    "Динара",
    "Елена",
    "Гульнара",
]
CATEGORIES = ["drug_trafficking", "contraband", "illegal_crossing", "weapons", "poaching"]
DISTS = ["agency", "country", "country", "all", "all"]
AGENCIES = [("B-KZ-BS", "KZ"), ("B-KZ-CUS", "KZ"), ("B-RU-FSB", "RU"), ("B-KG-POL", "KG")]


def load(sm: Any, n_persons: int, n_incidents: int, seed: int) -> None:
    rng = random.Random(seed)
    with sm() as s:
        if s.execute(select(Agency).where(Agency.code == AGENCIES[0][0])).first():
            return
        seed_countries(s, ["KZ", "RU", "KG"])
        seed_vocabularies(s)
        ids = []
        for code, country in AGENCIES:
            a = Agency(code=code, name=code, country=country, kind=AgencyKind.border)
            s.add(a)
            s.flush()
            ids.append((a.id, country))
            s.add(
                User(
                    username=f"bench-{code.lower()}",
                    agency_id=a.id,
                    role=Role.analyst,
                    password_hash="x",
                )
            )
        s.commit()
    now = datetime(2025, 1, 1, tzinfo=UTC)
    batch = 20_000
    t0 = time.perf_counter()
    with sm() as s:
        for start in range(0, n_persons, batch):
            persons, names, tokens = [], [], []
            for _ in range(min(batch, n_persons - start)):
                pid = uuid.UUID(int=rng.getrandbits(128))
                owner, country = rng.choice(ids)
                full = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)} {rng.randrange(10000)}"
                persons.append(
                    {
                        "id": pid,
                        "display_name": full,
                        "owner_agency_id": owner,
                        "owner_country": country,
                        "distribution": rng.choice(DISTS),
                        "birth_year": rng.randrange(1950, 2005),
                        "nationalities": [country],
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                names.append(
                    {
                        "id": uuid.UUID(int=rng.getrandbits(128)),
                        "person_id": pid,
                        "full_name": full,
                        "script": "Cyrl",
                        "kind": "native",
                        "search_key": search_key(full),
                        "position": 0,
                    }
                )
                tokens.extend({"token": t, "person_id": pid} for t in set(name_tokens(full)))
            s.execute(insert(Person), persons)
            s.execute(insert(PersonName), names)
            s.execute(insert(PersonNameToken), tokens)
            s.commit()
            print(f"persons {start + len(persons)}/{n_persons}", file=sys.stderr)
        for start in range(0, n_incidents, batch):
            rows = []
            for _ in range(min(batch, n_incidents - start)):
                owner, country = rng.choice(ids)
                rows.append(
                    {
                        "id": uuid.UUID(int=rng.getrandbits(128)),
                        "owner_agency_id": owner,
                        "owner_country": country,
                        "distribution": rng.choice(DISTS),
                        "category": rng.choice(CATEGORIES),
                        "occurred_at": now - timedelta(minutes=rng.randrange(5 * 525600)),
                        "summary": "SYNTHETIC bench incident",
                        "lat": 50.0,
                        "lon": 60.0,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            s.execute(insert(Incident), rows)
            s.commit()
            print(f"incidents {start + len(rows)}/{n_incidents}", file=sys.stderr)
    print(f"loaded in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(len(xs) * p))] * 1000, 2)


def detail_reads(
    sm: Any,
    spec: Any,
    ids: list[Any],
    viewers: list[Any],
    seconds: float,
    workers: int,
    seed: int,
    raw: bool = False,
) -> dict[str, Any]:
    """Concurrent detail reads, each its own transaction with its audit entry."""
    import threading

    lat: list[float] = []
    found = [0]
    lock = threading.Lock()
    cpu0 = time.process_time()
    end = time.perf_counter() + seconds

    def work(k: int) -> None:
        rng = random.Random(seed + k)
        mine: list[float] = []
        hits = 0
        while time.perf_counter() < end:
            v = rng.choice(viewers)
            t = time.perf_counter()
            with sm() as s:
                try:
                    get_record(s, v, spec, rng.choice(ids))
                    hits += 1
                except NotFound:  # invisible: answered like a missing record
                    pass
                s.commit()
            mine.append(time.perf_counter() - t)
        with lock:
            lat.extend(mine)
            found[0] += hits

    threads = [threading.Thread(target=work, args=(k,)) for k in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    cpu = time.process_time() - cpu0
    if raw:
        return {"_lat": lat, "_found": found[0], "_cpu": cpu}
    return {
        "reads_per_s": round(len(lat) / seconds, 1),
        "workers": workers,
        "cpu_ms_per_read": round(1000 * cpu / max(1, len(lat)), 3),
        "visible_share": round(found[0] / max(1, len(lat)), 3),
        "p50_ms": pct(lat, 0.5),
        "p99_ms": pct(lat, 0.99),
    }


def _proc_reads(
    args: tuple[str, str, list[str], float, int, int],
) -> tuple[list[float], int, float]:
    """One process: its own engine, ``threads`` readers, for ``seconds``."""
    url, spec_name, ids, seconds, threads, seed = args
    engine = make_engine(Settings(db_pool_size=threads + 2), url)
    sm = make_sessionmaker(engine)
    spec = {"persons": PERSONS, "incidents": INCIDENTS}[spec_name]
    with sm() as s:
        users = list(s.execute(select(User).where(User.username.like("bench-%"))).scalars())
        viewers = [viewer_for(s, u) for u in users]
    r = detail_reads(
        sm, spec, [uuid.UUID(i) for i in ids], viewers, seconds, threads, seed, raw=True
    )
    engine.dispose()
    return r["_lat"], r["_found"], r["_cpu"]


def multi_process_reads(
    url: str, spec_name: str, ids: list[Any], seconds: float, procs: int, threads: int, seed: int
) -> dict[str, Any]:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    with ctx.Pool(procs) as pool:
        parts = pool.map(
            _proc_reads,
            [
                (url, spec_name, [str(i) for i in ids], seconds, threads, seed + k)
                for k in range(procs)
            ],
        )
    lat = [x for p, _, _ in parts for x in p]
    found = sum(f for _, f, _ in parts)
    cpu = sum(c for _, _, c in parts)
    return {
        "reads_per_s": round(len(lat) / seconds, 1),
        "processes": procs,
        "threads_per_process": threads,
        "cpu_ms_per_read": round(1000 * cpu / max(1, len(lat)), 3),
        "visible_share": round(found / max(1, len(lat)), 3),
        "p50_ms": pct(lat, 0.5),
        "p99_ms": pct(lat, 0.99),
    }


def measure(
    sm: Any,
    seconds: float,
    seed: int,
    workers: int,
    url: str = "",
    procs: int = 2,
    list_samples: int = 300,
) -> dict[str, Any]:
    rng = random.Random(seed)
    with sm() as s:
        users = list(s.execute(select(User).where(User.username.like("bench-%"))).scalars())
        viewers = [viewer_for(s, u) for u in users]
        n = s.execute(select(func.count()).select_from(Person)).scalar_one()
        sample_p = list(
            s.execute(
                select(Person.id).limit(5000).offset(rng.randrange(max(1, n - 5000)))
            ).scalars()
        )
        sample_i = list(s.execute(select(Incident.id).limit(5000)).scalars())
    out: dict[str, Any] = {}
    # Warm-up: bring the sampled rows and the indexes into memory, as a running server has them.
    for spec, ids in ((PERSONS, sample_p), (INCIDENTS, sample_i)):
        detail_reads(sm, spec, ids, viewers, min(5.0, seconds), 2, seed)
    for label, spec, ids in (("person", PERSONS, sample_p), ("incident", INCIDENTS, sample_i)):
        for w in sorted({1, workers}):
            out[f"{label}_detail_{w}w"] = detail_reads(sm, spec, ids, viewers, seconds, w, seed)
        if url and procs > 1:
            out[f"{label}_detail_{procs}p"] = multi_process_reads(
                url, spec.name, ids, seconds, procs, max(1, workers // procs), seed
            )
    queries = {
        "list_persons_birth_year": lambda s, v: list_records(
            s, v, PERSONS, filters={"birth_year": rng.randrange(1950, 2005)}, limit=50
        ),
        "list_incidents_category_since": lambda s, v: list_records(
            s,
            v,
            INCIDENTS,
            filters={"category": rng.choice(CATEGORIES), "since": datetime(2023, 1, 1, tzinfo=UTC)},
            limit=50,
        ),
        "list_incidents_page": lambda s, v: list_records(s, v, INCIDENTS, filters={}, limit=50),
        "search_name": lambda s, v: search(
            s, v, f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}", types=["persons"], limit=20
        ),
    }
    for name, fn in queries.items():
        lat = []
        for _ in range(list_samples):
            v = rng.choice(viewers)
            t = time.perf_counter()
            with sm() as s:
                fn(s, v)
                s.commit()
            lat.append(time.perf_counter() - t)
        out[name] = {"p50_ms": pct(lat, 0.5), "p99_ms": pct(lat, 0.99), "n": len(lat)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--incidents", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=8, help="concurrent readers (threads)")
    ap.add_argument("--load-only", action="store_true", help="load the dataset and stop")
    ap.add_argument("--procs", type=int, default=2, help="processes for the multi-core run")
    ap.add_argument("--list-samples", type=int, default=300, help="requests per list/search query")
    args = ap.parse_args()
    tag = f"{args.persons}p-{args.incidents}i"
    if args.backend == "postgres":
        admin = create_engine(
            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
        )
        db = f"shekara_bench_{tag.replace('-', '_')}"
        with admin.connect() as c:
            if not c.execute(text("SELECT 1 FROM pg_database WHERE datname=:d"), {"d": db}).first():
                c.execute(text(f'CREATE DATABASE "{db}"'))
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}"
    else:
        Path("bench/data").mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///bench/data/records-{tag}.db"
    engine = make_engine(Settings(), url)
    upgrade(engine)
    sm = make_sessionmaker(engine)
    load(sm, args.persons, args.incidents, args.seed)
    if args.backend == "postgres":
        # VACUUM sets the visibility map that index-only scans need (autovacuum does it in
        # production; a freshly bulk-loaded table has not been visited yet).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
    if args.load_only:
        return
    result = {
        "benchmark": "records",
        "backend": args.backend,
        "dataset": {"persons": args.persons, "incidents": args.incidents, "seed": args.seed},
        "machine": {
            "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "audit": "on (one hash-chained entry per request)",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": measure(
            sm, args.seconds, args.seed, args.workers, url, args.procs, args.list_samples
        ),
    }
    out = Path(f"bench/results/records-{args.backend}.json")
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
