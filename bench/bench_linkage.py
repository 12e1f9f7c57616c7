"""Batch entity resolution: Shekara against Splink + DuckDB, on the same records in one run.

    .venv/bin/python bench/bench_linkage.py                          # 1M persons, SQLite
    .venv/bin/python bench/bench_linkage.py --db postgres
    .venv/bin/python bench/bench_linkage.py --persons 100000 --skip-splink

Builds (or reuses) the generated database of ``bench/bench_screening.py`` (same seed: the same
identities, written by one to three agencies each; deterministic, never committed) and its
screening index, then links every record across agencies twice:

- Shekara: :func:`shekara.screening.resolution.run` (blocking on the key index, scoring with
  the screening's pure functions on every core, pairs stored at the match threshold);
- Splink 5 with DuckDB (bench-only: ``pip install -e '.[bench]'``): names romanised (ICAO) and
  folded as its input, the usual name/name/date-of-birth model trained as Splink's
  documentation recommends for large data: u by random sampling of a bounded number of pairs
  (``--splink-u-pairs``), m by two EM sessions on narrow blocking rules (first name + date of
  birth, surname + year of birth), each on at most ``--splink-em-pairs`` pairs; predictions
  blocked on surname + first name, surname + date of birth, first name + date of birth (their
  comparison count is recorded), pairs at match probability 0.9.

Both are scored against the known identities (pairs of records of *different* agencies that
render the same person): seconds, peak memory of the process during each, precision, recall,
F1 and the ratios (Shekara's CPU seconds: its main process and its scoring worker processes,
read from ``/proc``). Writes ``bench/results/linkage-<db>-<persons>.json`` with the machine and
its load average.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import traceback
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_screening import ROOT, Bar, machine, make_db, populate, say  # noqa: E402

from shekara.persons.models import Person  # noqa: E402
from shekara.screening import index, resolution, service  # noqa: E402
from shekara.screening.models import ResolutionPair, ScreeningKey  # noqa: E402

Pairs = set[frozenset[uuid.UUID]]


def reset_peak_memory() -> None:
    """Start a new peak-RSS window for this process (Linux: ``clear_refs`` 5 resets VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_memory_mb() -> float | None:
    """Peak resident memory of this process since the last reset (MB)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _f1(pred: Pairs, true: Pairs) -> dict[str, float]:
    tp = len(pred & true)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(true) if true else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4),
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "predicted_pairs": len(pred), "true_pairs": len(true)}  # fmt: skip


def true_pairs(mapping: dict[uuid.UUID, int], owner: dict[uuid.UUID, uuid.UUID]) -> Pairs:
    """Pairs of records of different agencies on the same generated identity."""
    by_identity: dict[int, list[uuid.UUID]] = defaultdict(list)
    for pid, k in mapping.items():
        by_identity[k].append(pid)
    true: Pairs = set()
    for ids in by_identity.values():
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                if owner[a] != owner[b]:
                    true.add(frozenset((a, b)))
    return true


def worker_cpu_seconds() -> dict[int, float]:
    """CPU seconds (user + system) so far of each process of the scoring pool, by pid."""
    import os

    from shekara.screening import workers

    out: dict[int, float] = {}
    for pool in workers._POOL:
        for pid in list(getattr(pool, "_processes", None) or {}):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def worker_peak_memory_mb() -> float | None:
    """Peak resident memory of the scoring pool's processes, summed (MB)."""
    from shekara.screening import workers

    total = 0
    for pool in workers._POOL:
        for pid in list(getattr(pool, "_processes", None) or {}):
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
            except OSError:
                continue
    return round(total / 1024, 1) if total else None


def run_shekara(session: Session, bar: Bar | None) -> tuple[Pairs, dict[str, Any]]:
    session.execute(delete(ResolutionPair))
    session.commit()
    reset_peak_memory()
    before = worker_cpu_seconds()
    t0, c0 = time.perf_counter(), time.process_time()
    counts = resolution.run(session, min_score=service.get_config(session).threshold, progress=bar)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    workers_cpu = sum(c - before.get(pid, 0.0) for pid, c in worker_cpu_seconds().items())
    pred = {
        frozenset((a, b))
        for a, b in session.execute(select(ResolutionPair.left_id, ResolutionPair.right_id))
    }
    session.rollback()
    return pred, {"seconds": round(seconds, 2), "cpu_seconds_main": round(cpu, 2),
                  "cpu_seconds_workers": round(workers_cpu, 2),
                  "cpu_seconds": round(cpu + workers_cpu, 2),
                  "peak_rss_mb": peak_memory_mb(),
                  "peak_rss_mb_workers": worker_peak_memory_mb(), **counts}  # fmt: skip


def run_splink(
    rows: list[Any],
    memory_limit: str,
    threads: int,
    timeout: float,
    u_pairs: float = 1e8,
    em_pairs: float = 1e7,
) -> tuple[Pairs, dict[str, Any]]:
    """Splink + DuckDB on the same records (names romanised and folded, first two words)."""
    import duckdb
    import pyarrow as pa
    import splink
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    from shekara.screening.translit import ascii_fold, has_cyrillic, transliterate

    def norm(name: str) -> list[str]:
        latin = transliterate(name, "icao") if has_cyrillic(name) else name
        return ascii_fold(latin).lower().split()

    ids, surnames, firsts, dobs, agencies = [], [], [], [], []
    for pid, ag, y, m, d, name in rows:
        words = norm(name)
        ids.append(str(pid))
        surnames.append(words[0] if words else None)
        firsts.append(words[1] if len(words) > 1 else None)
        dobs.append(f"{y:04d}-{m or 1:02d}-{d or 1:02d}" if y else None)
        agencies.append(str(ag))
    table = pa.table({"unique_id": ids, "surname": surnames, "first_name": firsts,
                      "dob": dobs, "agency": agencies})  # fmt: skip
    del ids, surnames, firsts, dobs, agencies
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET threads = {threads}")
    con.execute(f"SET temp_directory = '{ROOT / 'data' / 'duckdb-tmp'}'")
    con.register("records_arrow", table)
    con.execute("CREATE TABLE records AS SELECT * FROM records_arrow")
    con.unregister("records_arrow")
    del table
    reset_peak_memory()
    stages: dict[str, float] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    last = t0

    def lap(stage: str) -> None:
        nonlocal last
        now = time.perf_counter()
        stages[stage] = round(now - last, 2)
        last = now
        say(f"splink: {stage} {stages[stage]} s")

    out: dict[str, Any] = {"memory_limit": memory_limit, "threads": threads, "stages": stages,
                           "timeout_seconds": timeout, "u_max_pairs": u_pairs,
                           "em_max_pairs": em_pairs,
                           "versions": {"splink": splink.__version__,
                                        "duckdb": duckdb.__version__}}  # fmt: skip
    pred: Pairs = set()
    # a run that does not end in time is interrupted (DuckDB stops its query) and recorded
    watchdog = threading.Timer(timeout, con.interrupt)
    watchdog.start()
    try:
        db_api = DuckDBAPI(connection=con)
        sdf = db_api.register("records")
        prediction_rules = [
            block_on("surname", "first_name"),
            block_on("surname", "dob"),
            block_on("first_name", "dob"),
        ]
        counted = count_comparisons_from_blocking_rules(
            sdf,
            blocking_rules=prediction_rules,
            link_type="dedupe_only",
            record_sample_proportion=0.2,
        )
        out["prediction_comparisons_estimated"] = int(counted[-1]["cumulative_comparison_count"])
        lap("count_comparisons")
        settings = SettingsCreator(
            link_type="dedupe_only",
            comparisons=[
                cl.NameComparison("first_name"),
                cl.NameComparison("surname"),
                cl.DateOfBirthComparison("dob", input_is_string=True),
            ],
            blocking_rules_to_generate_predictions=prediction_rules,
            retain_intermediate_calculation_columns=False,
        )
        linker = Linker(sdf, settings, log_level=40)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("surname", "first_name", "dob")], recall=0.7
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=1)
        lap("train_u")
        # each session estimates the m of the comparisons its rule does not fix, on a rule
        # narrow enough that matches are a fair share of its pairs (at 1M, surname + year of
        # birth is not: EM settled on same-surname-same-year pairs of different people)
        for rule in (
            block_on("first_name", "dob"),  # surname
            block_on("surname", "dob"),  # first name
            block_on("surname", "first_name"),  # date of birth
        ):
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, max_pairs=em_pairs
            )
        lap("train_em")
        preds = linker.inference.predict(threshold_match_probability=0.9)
        lap("predict")
        got = con.execute(
            f"SELECT p.unique_id_l, p.unique_id_r FROM {preds.physical_name} p "
            "JOIN records a ON a.unique_id = p.unique_id_l "
            "JOIN records b ON b.unique_id = p.unique_id_r "
            "WHERE a.agency <> b.agency"
        ).fetchall()
        lap("fetch")
        pred = {frozenset((uuid.UUID(a), uuid.UUID(b))) for a, b in got}
        out["completed"] = True
    except Exception as e:  # record what happened (memory, time) rather than lose the run
        out["completed"] = False
        out["error"] = f"{type(e).__name__}: {e}"[:2000]
        traceback.print_exc()
    watchdog.cancel()
    out["seconds"] = round(time.perf_counter() - t0, 2)
    out["cpu_seconds"] = round(time.process_time() - c0, 2)  # DuckDB's threads included
    out["peak_rss_mb"] = peak_memory_mb()
    con.close()
    return pred, out


def compare_linkage(
    session: Session,
    mapping: dict[uuid.UUID, int],
    *,
    splink: bool = True,
    shekara: bool = True,
    memory_limit: str = "6GB",
    threads: int = 2,
    timeout: float = 3600,
    u_pairs: float = 1e8,
    em_pairs: float = 1e7,
    bar: Bar | None = None,
) -> dict[str, Any]:
    """Shekara's batch resolution and Splink + DuckDB on the same records, one run."""
    rows = session.execute(
        select(Person.id, Person.owner_agency_id, Person.birth_year, Person.birth_month,
               Person.birth_day, Person.display_name)
    ).all()  # fmt: skip
    owner = {r[0]: r[1] for r in rows}
    true = true_pairs(mapping, owner)
    del owner
    say(f"{len(rows)} records, {len(true)} true pairs across agencies")
    result: dict[str, Any] = {"records": len(rows)}
    ours: dict[str, Any] = {}
    if shekara:
        pred, ours = run_shekara(session, bar)
        ours.update(_f1(pred, true))
        del pred
        say(f"shekara: {json.dumps(ours)}")
        result["shekara"] = ours
    if not splink:
        return result
    spred, theirs = run_splink(rows, memory_limit, threads, timeout, u_pairs, em_pairs)
    if theirs.get("completed"):
        theirs.update(_f1(spred, true))
    if theirs.get("completed") and ours:
        result["speed_ratio"] = round(theirs["seconds"] / ours["seconds"], 2)
        result["f1_difference"] = round(ours["f1"] - theirs["f1"], 4)
    result["splink_duckdb"] = theirs
    say(f"splink: {json.dumps(theirs)}")
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description="Batch linkage: Shekara vs Splink + DuckDB")
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--skip-splink", action="store_true")
    ap.add_argument("--skip-shekara", action="store_true", help="Splink alone")
    ap.add_argument("--splink-memory", default="6GB", help="DuckDB memory_limit")
    ap.add_argument("--splink-threads", type=int, default=2)
    ap.add_argument("--splink-timeout", type=float, default=3600, help="seconds")
    ap.add_argument("--splink-u-pairs", type=float, default=1e8,
                    help="max_pairs of the u estimation by random sampling")  # fmt: skip
    ap.add_argument("--splink-em-pairs", type=float, default=1e7,
                    help="max_pairs of each EM training session")  # fmt: skip
    ap.add_argument("--output", type=Path, default=None,
                    help="default: bench/results/linkage-<db>-<persons>.json")  # fmt: skip
    a = ap.parse_args()
    engine = make_db(a.db, a.persons)
    result: dict[str, Any] = {"machine": machine(), "db": a.db, "persons": a.persons,
                              "command": " ".join(sys.argv)}  # fmt: skip
    bar = Bar()
    with Session(engine) as s:
        mapping = populate(s, a.persons, bar)
        if not s.execute(select(func.count()).select_from(ScreeningKey)).scalar_one():
            index.rebuild(s, bar)
            s.commit()
            index.vacuum(engine)
        result["linkage"] = compare_linkage(
            s, mapping, splink=not a.skip_splink, shekara=not a.skip_shekara,
            memory_limit=a.splink_memory, timeout=a.splink_timeout,
            threads=a.splink_threads, u_pairs=a.splink_u_pairs,
            em_pairs=a.splink_em_pairs, bar=bar,
        )  # fmt: skip
    engine.dispose()
    result["load_average_after"] = machine().get("load_average")
    output = a.output or ROOT / "results" / f"linkage-{a.db}-{a.persons}.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    say(json.dumps(result["linkage"], indent=1))
    say(f"saved {output}")


if __name__ == "__main__":
    main()
