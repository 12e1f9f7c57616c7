"""Generate the synthetic dataset into a database and report rows per second.

The default size is ``bench`` (1 million persons, 1 million incidents, 2 million crossings and
their names, documents, phones, seizures, involvements, cases). The database is migrated first;
it must hold no persons, incidents or crossings (``--reset`` wipes them).

    python bench/gen_dataset.py --url sqlite:///var/bench.db
    python bench/gen_dataset.py --url postgresql+psycopg://postgres@127.0.0.1/shekara_bench
    python bench/gen_dataset.py --url sqlite:///var/b.db --size small --json bench/results/gen.json
    python bench/gen_dataset.py --url sqlite:///var/b.db --scale 0.1   # a tenth of bench
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy.orm import Session

from shekara.db.engine import make_engine, make_sessionmaker
from shekara.db.migrate import upgrade
from shekara.demo import SIZES, Sizes, generate, is_empty, load_reference, reset
from shekara.demo.generator import rebuild_screening_index
from shekara.settings import Settings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="SQLAlchemy database URL")
    ap.add_argument("--size", default="bench", choices=list(SIZES))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply every count of the size (0.1: a tenth of bench)",
    )
    ap.add_argument("--persons", type=int, help="override the number of persons")
    ap.add_argument("--incidents", type=int, help="override the number of incidents")
    ap.add_argument("--crossings", type=int, help="override the number of crossings")
    ap.add_argument("--batch", type=int, default=5000, help="rows per INSERT batch")
    ap.add_argument("--reset", action="store_true", help="wipe existing records first")
    ap.add_argument(
        "--screening-index",
        action="store_true",
        help="also rebuild the screening key index (timed separately)",
    )
    ap.add_argument("--json", type=Path, help="write the results to this JSON file")
    args = ap.parse_args(argv)
    console = Console()
    sizes = SIZES[args.size]
    if args.scale != 1.0:
        sizes = Sizes(**{k: max(1, round(v * args.scale)) for k, v in asdict(sizes).items()})
    for name in ("persons", "incidents", "crossings"):
        if getattr(args, name) is not None:
            sizes = replace(sizes, **{name: getattr(args, name)})
    engine = make_engine(Settings(env="development"), args.url)
    upgrade(engine)
    with Session(engine) as s:
        load_reference(s)
        s.commit()
        if not is_empty(s):
            if not args.reset:
                console.print("[red]the database holds records; use --reset[/red]")
                return 1
            reset(s)
            s.commit()
    with Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        cpu = time.process_time()
        report = generate(
            make_sessionmaker(engine),
            sizes,
            args.seed,
            progress=progress,
            batch_size=args.batch,
            screening_index=False,
        )
        cpu = time.process_time() - cpu
        index_seconds = None
        if args.screening_index:
            started = time.perf_counter()
            with Session(engine) as s:
                rebuild_screening_index(s, progress)
            index_seconds = time.perf_counter() - started
    engine.dispose()
    t = Table("table", "rows", title=f"{args.size}, seed {args.seed}, {engine.dialect.name}")
    for table, n in report.counts.items():
        t.add_row(table, f"{n:,}")
    t.add_row("[bold]total[/bold]", f"[bold]{report.rows:,}[/bold]")
    console.print(t)
    console.print(
        f"{report.rows:,} rows in {report.seconds:,.1f} s: "
        f"[bold]{report.rows_per_second:,.0f} rows/s[/bold] "
        f"(this process used {cpu:,.1f} s of CPU; the rest is the database server, "
        "I/O or other load)"
    )
    if index_seconds is not None:
        console.print(f"screening key index rebuilt in {index_seconds:,.1f} s")
    else:
        console.print(
            "screening key index not built: run `shekara screen reindex` (or pass "
            "--screening-index) before screening benchmarks"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "when": datetime.now(UTC).isoformat(timespec="seconds"),
                    "backend": engine.dialect.name,
                    "size": args.size,
                    "seed": args.seed,
                    "sizes": asdict(sizes),
                    "counts": report.counts,
                    "rows": report.rows,
                    "seconds": round(report.seconds, 2),
                    "cpu_seconds": round(cpu, 2),
                    "screening_index_seconds": None
                    if index_seconds is None
                    else round(index_seconds, 2),
                    "rows_per_second": round(report.rows_per_second),
                    "machine": {
                        "python": sys.version.split()[0],
                        "platform": platform.platform(),
                        "cpus": os.cpu_count(),
                    },
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
