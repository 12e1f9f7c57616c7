"""Screening benchmark: speed and quality of the screening service on generated names.

    .venv/bin/python bench/bench_screening.py                 # 100k persons, SQLite
    .venv/bin/python bench/bench_screening.py --persons 1000000 --compare
    .venv/bin/python bench/bench_screening.py --db postgres

Builds (or reuses) a database of N persons written by several agencies (``bench/gen_names.py``),
rebuilds the screening index, then measures on the same queries:

- single query latency (p50/p99) of the whole service call (catch-up probe, candidates,
  policy, scoring, audit entry) and of candidate generation alone;
- candidate recall (stage 1), detection (a match on the right person), per variant class
  (swapped order, missing patronymic, typo, transliteration standard), wrong top hit, false
  alerts on queries of people who are not in the database;
- a manifest of 10,000 rows end to end.

With ``--compare`` (bench-only packages: ``pip install nomenklatura splink duckdb``), in the
same run: nomenklatura's logic-v2 matcher scoring the very same candidates of the same queries
(quality and per-core throughput), and Splink with DuckDB linking the same records in batch
(time and F1 against the known identities) next to Shekara's entity resolution.

Writes ``bench/results/screening.json`` (machine, sizes, figures) and prints a table.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_names as g  # noqa: E402

from shekara.accounts.constants import Role  # noqa: E402
from shekara.accounts.models import User  # noqa: E402
from shekara.accounts.service import viewer_for  # noqa: E402
from shekara.agencies.constants import AgencyKind  # noqa: E402
from shekara.agencies.models import Agency  # noqa: E402
from shekara.audit.models import AuditEntry  # noqa: E402
from shekara.core.text import search_key  # noqa: E402
from shekara.db.base import new_id, utcnow  # noqa: E402
from shekara.db.engine import make_engine  # noqa: E402
from shekara.db.migrate import upgrade  # noqa: E402
from shekara.persons.constants import NameKind, Script  # noqa: E402
from shekara.persons.models import Person, PersonName  # noqa: E402
from shekara.policy.constants import Distribution  # noqa: E402
from shekara.policy.sharing import Viewer  # noqa: E402
from shekara.screening import index, manifest, service  # noqa: E402
from shekara.screening.models import (  # noqa: E402
    ScreeningKey,
    ScreeningState,
)
from shekara.settings import Settings  # noqa: E402
from shekara.vocab.seed import seed_countries  # noqa: E402

ROOT = Path(__file__).resolve().parent
SEED = 7


def say(*a: object) -> None:
    print(*a, flush=True)  # noqa: T201


class Bar:
    """A text progress bar on stderr: ``bar(stage, done, total)``."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - self.last < 0.5 and done < total:
            return
        self.last = now
        frac = done / total if total else 1.0
        fill = int(30 * min(1.0, frac))
        sys.stderr.write(
            f"\r{stage:<10} [{'#' * fill}{'.' * (30 - fill)}] {100 * frac:5.1f}% "
            f"{done}/{total} {now - self.t0:6.1f} s"
        )
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


# --------------------------------------------------------------------------------------------
# Database
# --------------------------------------------------------------------------------------------


def make_db(kind: str, persons: int) -> Any:
    settings = Settings(env="development", data_dir=ROOT / "data", audit_seal_seconds=0)
    if kind == "postgres":
        from sqlalchemy import create_engine

        admin = create_engine(
            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
        )
        name = f"shekara_bench_screening_{persons}"
        with admin.connect() as c:
            exists = c.execute(text("SELECT 1 FROM pg_database WHERE datname=:n"), {"n": name})
            if not exists.first():
                c.execute(text(f'CREATE DATABASE "{name}"'))
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    else:
        (ROOT / "data").mkdir(exist_ok=True)
        url = f"sqlite:///{ROOT / 'data' / f'screening-{persons}.db'}"
    engine = make_engine(settings, url)
    upgrade(engine)
    return engine


def populate(session: Session, persons: int, bar: Bar | None = None) -> dict[uuid.UUID, int]:
    """Persons of generated identities (or the ones already there); record id -> identity."""
    have = session.execute(select(func.count()).select_from(Person)).scalar_one()
    if have >= persons:
        say(f"reusing {have} persons")
        return {
            pid: int(ref.split(":")[1])
            for pid, ref in session.execute(select(Person.id, Person.external_ref))
            if ref
        }
    session.execute(delete(PersonName))
    session.execute(delete(Person))
    seed_countries(session, ["KZ", "RU", "KG", "UZ", "TJ", "BY"])
    agencies: dict[str, uuid.UUID] = {}
    for code, country in g.AGENCIES:
        a = session.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()
        if a is None:
            a = Agency(code=code, name=code, country=country, kind=AgencyKind.border,
                       contact=f"duty@{code.lower()}.example")  # fmt: skip
            session.add(a)
            session.flush()
        agencies[code] = a.id
    if session.execute(select(User).where(User.username == "bench")).first() is None:
        session.add(User(username="bench", display_name="bench", agency_id=agencies["KZ-BS"],
                         role=Role.analyst, password_hash="x"))  # fmt: skip
    session.commit()
    rng = random.Random(SEED)
    mapping: dict[uuid.UUID, int] = {}
    t0 = time.perf_counter()
    prow: list[dict[str, Any]] = []
    nrow: list[dict[str, Any]] = []
    now = utcnow()
    key = 0
    while len(mapping) < persons:
        who = g.identity(SEED, key)
        for r in g.records_for(who, rng):
            if len(mapping) >= persons:
                break
            pid = new_id()
            mapping[pid] = who.key
            y, m, d = r.birth
            prow.append({
                "id": pid, "display_name": r.names[0], "birth_year": y, "birth_month": m,
                "birth_day": d, "nationalities": [], "distribution": Distribution.all,
                "hit_only": False, "owner_country": r.country,
                "owner_agency_id": agencies[r.agency], "external_ref": f"id:{who.key}",
                "created_at": now, "updated_at": now,
            })  # fmt: skip
            for i, n in enumerate(r.names):
                nrow.append({
                    "id": new_id(), "person_id": pid, "position": i, "full_name": n,
                    "script": Script.cyrillic if g.has_cyr(n) else Script.latin,
                    "kind": NameKind.native if i == 0 else NameKind.passport,
                    "search_key": search_key(n)[:300],
                })  # fmt: skip
        key += 1
        if len(prow) >= 20_000:
            session.execute(insert(Person), prow)
            session.execute(insert(PersonName), nrow)
            prow.clear()
            nrow.clear()
            if bar:
                bar("generate", len(mapping), persons)
    if prow:
        session.execute(insert(Person), prow)
        session.execute(insert(PersonName), nrow)
    session.commit()
    if bar:
        bar("generate", len(mapping), persons)
    say(f"generated {len(mapping)} persons in {time.perf_counter() - t0:.0f} s")
    return mapping


# --------------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------------


def make_queries(
    mapping: dict[uuid.UUID, int], n_match: int, n_nonmatch: int, seed: int = SEED + 1
) -> tuple[list[g.Query], dict[int, set[uuid.UUID]]]:
    by_identity: dict[int, set[uuid.UUID]] = defaultdict(set)
    for pid, k in mapping.items():
        by_identity[k].add(pid)
    rng = random.Random(seed)
    keys = sorted(by_identity)
    queries = []
    for k in rng.sample(keys, min(n_match, len(keys))):
        who = g.identity(SEED, k)
        queries.append(g.query_for(who, rng, who))
    # people not in the database: another population (other random draws from the same name
    # lists), so a different person by construction; an identity with the same surname, given
    # name and full date of birth as someone in the database is skipped (nothing could tell
    # the two apart: it would be the same person under another rendering)
    known = {(w.surname, w.given, w.dob) for w in (g.identity(SEED, k) for k in keys)}
    k = 0
    while len(queries) < n_match + n_nonmatch:
        other = g.identity(SEED + 99 + (seed - SEED - 1), k)
        k += 1
        if (other.surname, other.given, other.dob) in known:
            continue
        queries.append(g.query_for(None, rng, other))
    return queries, by_identity


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return round(s[min(len(s) - 1, int(p / 100 * len(s)))], 3) if s else 0.0


def clear_caches() -> None:
    """Cold scoring caches (the pure functions memoise name pairs)."""
    import shekara.screening.names as nm
    import shekara.screening.scoring as sc
    import shekara.screening.translit as tr

    for mod in (sc, nm, tr, index):
        for obj in vars(mod).values():
            if hasattr(obj, "cache_clear"):
                obj.cache_clear()


def quiet_harness() -> None:
    """Keep the benchmark's own objects (the identity of a million persons, the queries) out
    of the garbage collector's way before the measured calls: frozen, a full collection does not
    scan them. A server process holds none of them; unfrozen, they made every full collection
    of the measured process scan a few million objects (seconds of a manifest, the 1 s
    outliers of single queries)."""
    gc.collect()
    gc.freeze()


def run_queries(
    session: Session, viewer: Viewer, queries: list[g.Query], truth: dict[int, set[uuid.UUID]]
) -> tuple[dict[str, Any], dict[int, list[uuid.UUID]]]:
    lat: list[float] = []
    cpu: list[float] = []  # CPU time of this process (SQLite runs inside it): load-independent
    cand_lat: list[float] = []
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # tag -> [detected, total]
    recall = [0, 0]
    wrong_top = 0
    false_alerts = [0, 0]
    cand_ids: dict[int, list[uuid.UUID]] = {}
    ncand: list[int] = []
    fa_causes: dict[str, int] = defaultdict(int)
    false_possible = [0]
    found: dict[str, int] = defaultdict(int)  # right person on top, alert or possible
    misses: dict[str, int] = defaultdict(int)
    # what the stored records of each identity say of its date of birth: the best of them
    # (an alert needs a date that tells namesakes apart; see docs/screening.md)
    wanted = sorted({pid for q in queries if q.identity is not None for pid in truth[q.identity]})
    precision: dict[uuid.UUID, int] = {}
    for i in range(0, len(wanted), 500):
        for pid, y, m, d in session.execute(
            select(Person.id, Person.birth_year, Person.birth_month, Person.birth_day).where(
                Person.id.in_(wanted[i : i + 500])
            )
        ):
            precision[pid] = 3 if d else 2 if m else 1 if y else 0
    levels = ("no date", "year", "year and month", "full date")
    by_evidence: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for i, q in enumerate(queries):
        pq = service.PersonInput.build([q.name], q.birth_date)
        dob = pq.birth_date
        t0 = time.perf_counter()
        cands = index.person_candidates(session, pq.names, (), int(dob[:4]) if dob else None)
        cand_lat.append((time.perf_counter() - t0) * 1000)
        cand_ids[i] = cands
        ncand.append(len(cands))
        t0, c0 = time.perf_counter(), time.process_time()
        out = service.screen_person(session, viewer, pq, limit=10)
        lat.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        matched = [h for h in out.hits if h.match]
        possible = [h for h in out.hits if h.grade == "possible"]
        if q.identity is None:
            false_alerts[1] += 1
            false_alerts[0] += bool(matched)
            false_possible[0] += bool(possible) and not matched
            if matched:
                codes = {r.code for r in matched[0].reasons}
                cause = next(
                    (c for c in ("dob_missing", "dob_compatible", "dob_one_digit",
                                 "dob_day_month_swap", "dob_exact") if c in codes),
                    "other",
                )  # fmt: skip
                fa_causes[cause] += 1
        else:
            want = truth[q.identity]
            recall[1] += 1
            recall[0] += bool(want & set(cands))
            ok = any(h.id in want for h in matched)
            shown = ok or bool(possible and possible[0].id in want and not matched)
            for tag in ["all", *q.tags]:
                stats[tag][1] += 1
                stats[tag][0] += ok
                found[tag] += shown
            best = max(precision.get(pid, 0) for pid in want)
            q_date = "full date" if len(dob or "") > 4 else "year"
            cls = f"query {q_date}, best record {levels[best]}"
            by_evidence[cls][1] += 1
            by_evidence[cls][0] += ok
            if matched and matched[0].id not in want:
                wrong_top += 1
            if not ok:
                best = out.hits[0] if out.hits else None
                why = (
                    "not found"
                    if not (want & set(cands))
                    else (best.grade or "notice")
                    if best and best.id in want
                    else "other on top"
                )
                misses[why] += 1
        if i % 200 == 199:
            session.commit()
    session.commit()
    n_match = recall[1]
    res = {
        "queries": len(queries),
        "matching_queries": n_match,
        "non_matching_queries": false_alerts[1],
        "latency_ms": {"p50": pct(lat, 50), "p90": pct(lat, 90), "p99": pct(lat, 99),
                       "max": round(max(lat), 3), "mean": round(statistics.fmean(lat), 3)},
        "cpu_ms_per_query": {"p50": pct(cpu, 50), "p99": pct(cpu, 99)},
        "candidate_latency_ms": {"p50": pct(cand_lat, 50), "p99": pct(cand_lat, 99)},
        "candidates_per_query": {"mean": round(statistics.fmean(ncand), 1), "max": max(ncand)},
        "candidate_recall": round(recall[0] / n_match, 5),
        "detection": {t: round(d / n, 5) for t, (d, n) in sorted(stats.items())},
        "detection_counts": {t: [d, n] for t, (d, n) in sorted(stats.items())},
        # by the dates of birth the query and the identity's best stored record carry: an
        # alert is possible where a date tells namesakes apart
        "detection_by_date_evidence": {
            c: {"detected": d, "queries": n, "rate": round(d / n, 5)}
            for c, (d, n) in sorted(by_evidence.items())
        },
        # the right person on top as an alert or as a possible match (shown to the officer)
        "found_alert_or_possible": {
            t: round(found[t] / n, 5) for t, (_, n) in sorted(stats.items())
        },
        # matching queries without an alert on the right person, by what the officer saw
        "misses": dict(misses),
        "wrong_top_hit": round(wrong_top / n_match, 5),
        "false_alerts": round(false_alerts[0] / max(1, false_alerts[1]), 5),
        # non-matching queries answered with a possible match (a namesake) but no alert
        "possible_on_non_matching": round(false_possible[0] / max(1, false_alerts[1]), 5),
        # what the date of birth said about the namesake that alerted
        "false_alert_causes": dict(fa_causes),
    }  # fmt: skip
    return res, cand_ids


def run_manifest(
    session: Session, viewer: Viewer, queries: list[g.Query], rows: int
) -> dict[str, Any]:
    lines = ["name,birth_date"]
    for i in range(rows):
        q = queries[i % len(queries)]
        lines.append(f'"{q.name}",{q.birth_date or ""}')
    data = "\n".join(lines).encode()
    t0, c0 = time.perf_counter(), time.process_time()
    out = manifest.screen_manifest(session, viewer, data, "bench.csv")
    csv_text = manifest.to_csv(out)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    session.commit()
    # cpu_seconds_main: this process only (SQLite runs in it; the scoring worker is apart)
    return {"rows": rows, "seconds": round(seconds, 2), "cpu_seconds_main": round(cpu, 2),
            "matches": out.matches, "csv_bytes": len(csv_text)}  # fmt: skip


# --------------------------------------------------------------------------------------------
# nomenklatura logic-v2 on the same candidates
# --------------------------------------------------------------------------------------------


def profiles(
    session: Session, ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[list[str], str | None]]:
    out: dict[uuid.UUID, tuple[list[str], str | None]] = {}
    idl = list(ids)
    names: dict[uuid.UUID, list[str]] = defaultdict(list)
    for i in range(0, len(idl), 900):
        chunk = idl[i : i + 900]
        for pid, n in session.execute(
            select(PersonName.person_id, PersonName.full_name).where(
                PersonName.person_id.in_(chunk)
            )
        ):
            names[pid].append(n)
        for p in session.execute(select(Person).where(Person.id.in_(chunk))).scalars():
            out[p.id] = (names[p.id], service._birth(p))
    return out


def compare_nomenklatura(
    session: Session,
    queries: list[g.Query],
    cand_ids: dict[int, list[uuid.UUID]],
    truth: dict[int, set[uuid.UUID]],
    sample: int,
) -> dict[str, Any]:
    from followthemoney import model as ftm
    from nomenklatura.matching import get_algorithm

    algo = get_algorithm("logic-v2")
    assert algo is not None
    cfg = algo.default_config() if hasattr(algo, "default_config") else None
    rng = random.Random(SEED + 5)
    picked = sorted(rng.sample(range(len(queries)), min(sample, len(queries))))
    prof = profiles(session, {c for i in picked for c in cand_ids[i]})

    def entity(eid: str, names: list[str], dob: str | None) -> Any:
        e = ftm.make_entity("Person")
        e.id = eid
        e.add("name", names)
        if dob:
            e.add("birthDate", dob)
        return e

    from nomenklatura.matching.types import ScoringConfig as NKConfig

    nk_cfg = cfg or NKConfig.defaults()
    threshold = algo.default_threshold if hasattr(algo, "default_threshold") else 0.7
    ents = {cid: entity(str(cid), *prof[cid]) for cid in prof}
    pairs = 0
    ours_det = theirs_det = [0, 0]
    ours_det, theirs_det = [0, 0], [0, 0]
    ours_fa, theirs_fa = [0, 0], [0, 0]
    # nomenklatura
    t0 = time.perf_counter()
    theirs_best: dict[int, tuple[float, uuid.UUID | None]] = {}
    for i in picked:
        q = queries[i]
        qe = entity(f"q{i}", [q.name], q.birth_date)
        best: tuple[float, uuid.UUID | None] = (0.0, None)
        for cid in cand_ids[i]:
            if cid not in ents:
                continue
            s = algo.compare(qe, ents[cid], nk_cfg).score
            pairs += 1
            if s > best[0]:
                best = (s, cid)
        theirs_best[i] = best
    nk_seconds = time.perf_counter() - t0
    # ours: the same pairs, pure scoring, cold caches
    clear_caches()
    from shekara.screening.scoring import DEFAULT_CONFIG, score_person
    from shekara.screening.scoring import Person as SP

    cands = {cid: SP(tuple(prof[cid][0]), prof[cid][1]) for cid in prof}
    t0 = time.perf_counter()
    ours_best: dict[int, tuple[float, uuid.UUID | None]] = {}
    for i in picked:
        q = queries[i]
        qp = SP((q.name,), q.birth_date)
        best = (0.0, None)
        for cid in cand_ids[i]:
            if cid not in cands:
                continue
            s = score_person(qp, cands[cid], DEFAULT_CONFIG).value
            if s > best[0]:
                best = (s, cid)
        ours_best[i] = best
    our_seconds = time.perf_counter() - t0
    # ours as the service runs it: cheap pre-ranking by the date of birth, the best 12 scored
    clear_caches()
    from shekara.screening.names import parse_partial_date

    t0 = time.perf_counter()
    pipe_best: dict[int, tuple[float, uuid.UUID | None]] = {}
    for i in picked:
        q = queries[i]
        qp = SP((q.name,), q.birth_date)
        qd = parse_partial_date(q.birth_date)
        order = []
        for rank_, cid in enumerate(cand_ids[i]):
            if cid not in cands:
                continue
            d = parse_partial_date(prof[cid][1])
            bonus = service._dob_bonus(qd, d.year if d else None, d.month if d else None,
                                       d.day if d else None)  # fmt: skip
            order.append((-bonus, rank_, cid))
        best = (0.0, None)
        for _, _, cid in sorted(order)[: service.SCORE_LIMIT]:
            sc = score_person(qp, cands[cid], DEFAULT_CONFIG).value
            if sc > best[0]:
                best = (sc, cid)
        pipe_best[i] = best
    pipe_seconds = time.perf_counter() - t0
    pipe_det = [0, 0]
    for i in picked:
        if queries[i].identity is not None:
            pipe_det[1] += 1
            b = pipe_best[i]
            pipe_det[0] += b[0] >= DEFAULT_CONFIG.threshold and b[1] in truth[queries[i].identity]
    for i in picked:
        q = queries[i]
        for best, det, fa, thr in (
            (theirs_best[i], theirs_det, theirs_fa, threshold),
            (ours_best[i], ours_det, ours_fa, DEFAULT_CONFIG.threshold),
        ):
            hit = best[0] >= thr
            if q.identity is None:
                fa[1] += 1
                fa[0] += hit
            else:
                det[1] += 1
                det[0] += hit and best[1] in truth[q.identity]
    return {
        "queries": len(picked),
        "pairs_scored": pairs,
        "nomenklatura_threshold": threshold,
        "nomenklatura": {
            "detection": round(theirs_det[0] / max(1, theirs_det[1]), 5),
            "false_alerts": round(theirs_fa[0] / max(1, theirs_fa[1]), 5),
            "seconds": round(nk_seconds, 3),
            "queries_per_second_per_core": round(len(picked) / nk_seconds, 2),
            "pairs_per_second": round(pairs / nk_seconds, 1),
        },
        "shekara": {
            "detection": round(ours_det[0] / max(1, ours_det[1]), 5),
            "false_alerts": round(ours_fa[0] / max(1, ours_fa[1]), 5),
            "seconds": round(our_seconds, 3),
            "queries_per_second_per_core": round(len(picked) / our_seconds, 2),
            "pairs_per_second": round(pairs / our_seconds, 1),
        },
        "shekara_pipeline": {
            "scored_per_query": service.SCORE_LIMIT,
            "detection": round(pipe_det[0] / max(1, pipe_det[1]), 5),
            "seconds": round(pipe_seconds, 3),
            "queries_per_second_per_core": round(len(picked) / pipe_seconds, 2),
        },
        "throughput_ratio_scoring": round(nk_seconds / our_seconds, 1),
        "throughput_ratio_pipeline": round(nk_seconds / pipe_seconds, 1),
    }


# --------------------------------------------------------------------------------------------
# Batch linkage: Splink + DuckDB vs Shekara entity resolution
# --------------------------------------------------------------------------------------------


def compare_linkage(session: Session, mapping: dict[uuid.UUID, int]) -> dict[str, Any]:
    """Shekara's batch resolution and Splink + DuckDB on the same records (see
    ``bench/bench_linkage.py``, which runs it alone at 1M records)."""
    from bench_linkage import compare_linkage as run

    return run(session, mapping, bar=Bar())


# --------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                            "cpus": os.cpu_count()}  # fmt: skip
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        info["load_average"] = os.getloadavg()
    except OSError:
        pass
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description="Screening benchmark")
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=2000, help="matching queries")
    ap.add_argument("--nonmatching", type=int, default=1000)
    ap.add_argument("--manifest", type=int, default=10_000)
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--compare", action="store_true", help="nomenklatura and Splink too")
    ap.add_argument("--nk-sample", type=int, default=300)
    ap.add_argument("--skip-linkage", action="store_true", help="with --compare: no Splink run")
    ap.add_argument(
        "--output",
        type=Path,
        default=None,
        help="default: bench/results/screening-<db>-<persons>.json",
    )
    ap.add_argument("--generate-only", action="store_true", help="write the dataset and stop")
    ap.add_argument(
        "--reuse-index",
        action="store_true",
        help="keep an index already built (iterating on scoring; not for results)",
    )
    ap.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="scoring configuration override, as an administrator would set it",
    )
    a = ap.parse_args()

    engine = make_db(a.db, a.persons)
    result: dict[str, Any] = {"machine": machine(), "db": a.db, "persons": a.persons,
                              "command": " ".join(sys.argv)}  # fmt: skip
    with Session(engine) as s:
        t0 = time.perf_counter()
        mapping = populate(s, a.persons, Bar())
        result["generate_seconds"] = round(time.perf_counter() - t0, 1)
        if a.db == "postgres":
            # planner statistics, as autovacuum keeps them in a deployment (this server may run
            # without it): without them the candidates' load is planned for 400 names a person
            s.execute(text("ANALYZE persons, person_names"))
            s.commit()
        if a.generate_only:
            return
        have = s.execute(select(func.count()).select_from(ScreeningKey)).scalar_one()
        if a.reuse_index and have:
            result["index"] = {"keys": have, "reused": True}
        else:
            t0, c0 = time.perf_counter(), time.process_time()
            counts = index.rebuild(s, Bar())
            s.commit()
            index.vacuum(engine)
            result["index"] = {
                **counts,
                "rebuild_seconds": round(time.perf_counter() - t0, 1),
                "rebuild_cpu_seconds": round(time.process_time() - c0, 1),
            }
        say(f"index: {result['index']}")
        overrides = {k: float(v) for k, v in (c.split("=", 1) for c in a.config)}
        s.merge(ScreeningState(name="scoring_config", value=json.dumps(overrides)))
        s.commit()
        service._CONFIG_CACHE.clear()
        result["scoring_config_overrides"] = overrides
        user = s.execute(select(User).where(User.username == "bench")).scalar_one()
        viewer = viewer_for(s, user)
        queries, truth = make_queries(mapping, a.queries, a.nonmatching)
        # a manifest of distinct passengers (other queries than the single ones: no repeats)
        n_in = a.manifest * 7 // 10
        passengers, _ = make_queries(mapping, n_in, a.manifest - n_in, seed=SEED + 3)
        clear_caches()
        quiet_harness()
        q, cand_ids = run_queries(s, viewer, queries, truth)
        result["screening"] = q
        say(json.dumps(q, indent=1))
        result["manifest"] = run_manifest(s, viewer, passengers, a.manifest)
        say(f"manifest: {result['manifest']}")
        if a.compare:
            result["nomenklatura_logic_v2"] = compare_nomenklatura(
                s, queries, cand_ids, truth, a.nk_sample
            )
            say(json.dumps(result["nomenklatura_logic_v2"], indent=1))
            if not a.skip_linkage:
                result["linkage"] = compare_linkage(s, mapping)
                say(json.dumps(result["linkage"], indent=1))
        result["audit_entries_written"] = s.execute(
            select(func.count()).select_from(AuditEntry)
        ).scalar_one()
    engine.dispose()
    output = a.output or ROOT / "results" / f"screening-{a.db}-{a.persons}.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    table(result)
    say(f"saved {output}")


def table(r: dict[str, Any]) -> None:
    q = r["screening"]
    rows = [
        ("persons", r["persons"], ""),
        ("index rebuild (s)", r["index"].get("rebuild_seconds", "reused"), ""),
        ("query p50 / p99 (ms)", f"{q['latency_ms']['p50']} / {q['latency_ms']['p99']}",
         "< 5 / < 25"),
        ("query CPU p50 / p99 (ms)",
         f"{q['cpu_ms_per_query']['p50']} / {q['cpu_ms_per_query']['p99']}", ""),
        ("candidate recall", q["candidate_recall"], ">= 0.995"),
        ("detection (all, alert)", q["detection"]["all"], ">= 0.99"),
        ("found (alert or possible)", q["found_alert_or_possible"]["all"], ""),
        ("detection swapped", q["detection"].get("swapped"), ">= 0.99"),
        ("detection no patronymic", q["detection"].get("no_patronymic"), ">= 0.99"),
        ("detection typo", q["detection"].get("typo"), ""),
        ("wrong top hit", q["wrong_top_hit"], "< 0.01"),
        ("false alerts", q["false_alerts"], "< 0.01"),
        ("possible on non-matching", q["possible_on_non_matching"], ""),
        ("manifest 10k (s)", r["manifest"]["seconds"], "< 30"),
    ]  # fmt: skip
    if "nomenklatura_logic_v2" in r:
        n = r["nomenklatura_logic_v2"]
        rows += [
            ("logic-v2 detection / ours", f"{n['nomenklatura']['detection']} / "
             f"{n['shekara']['detection']}", ""),
            ("logic-v2 q/s/core / ours", f"{n['nomenklatura']['queries_per_second_per_core']} / "
             f"{n['shekara']['queries_per_second_per_core']}", ">= 20x"),
        ]  # fmt: skip
    if "linkage" in r:
        lk = r["linkage"]
        rows += [
            ("Splink time / F1", f"{lk['splink_duckdb']['seconds']} s / "
             f"{lk['splink_duckdb']['f1']}", ""),
            ("Shekara ER time / F1", f"{lk['shekara']['seconds']} s / {lk['shekara']['f1']}",
             "faster, better F1"),
        ]  # fmt: skip
    w = max(len(x[0]) for x in rows)
    for name, value, target in rows:
        say(f"{name:<{w}}  {value!s:>22}  {target}")


if __name__ == "__main__":
    main()
