"""``shekara tracking …`` (ingest, consume, maintenance) and ``shekara simulate``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer

from shekara.cli.common import console, err_console, load_settings

app = typer.Typer(
    help="Tracking: tracker gateways, rule processors, maintenance.", no_args_is_help=True
)


@app.command("ingest")
def ingest_cmd(
    host: Annotated[str, typer.Option(help="Bind address")] = "0.0.0.0",
    egts_port: Annotated[int, typer.Option(help="EGTS TCP port")] = 20629,
    wialon_port: Annotated[int, typer.Option(help="Wialon IPS TCP port")] = 20332,
    ports_file: Annotated[Path | None, typer.Option(help="Write the bound ports here")] = None,
    rules_in_process: Annotated[
        bool,
        typer.Option(
            "--rules-in-process",
            help="Evaluate the rules in a thread of this process (default on PostgreSQL: a "
            "child process, on another core; on SQLite always a thread)",
        ),
    ] = False,
) -> None:
    """Run the tracker gateways (and the MQTT subscription when SHEKARA_MQTT_URL is set).
    Without a bus: store in the database (acknowledged after commit) and evaluate the rules in
    this process. With SHEKARA_BUS_URL: publish to JetStream (acknowledged after the stream's
    ack); run `shekara tracking consume` too."""
    from shekara.db.engine import make_engine, make_sessionmaker
    from shekara.logs import configure_logging
    from shekara.tracking.ingest import serve
    from shekara.tracking.processor import RuleProcess, RuleProcessor

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_json)
    engine = make_engine(settings)

    async def run() -> None:
        from shekara.telemetry.gateway import FixSink
        from shekara.tracking.ingest import DeviceDirectory
        from shekara.tracking.mqtt import subscribe
        from shekara.tracking.storage import FixWriter

        stop = asyncio.Event()
        nc = None
        writer: FixWriter | None = None
        processor: RuleProcess | RuleProcessor | None = None
        sink: FixSink
        if settings.bus_url:
            from shekara.tracking.bus import JetStreamSink, connect, ensure_stream

            nc, js = await connect(settings.bus_url)
            await ensure_stream(js)
            sink = JetStreamSink(js)
        else:
            if rules_in_process or engine.dialect.name == "sqlite":  # one writer at a time
                processor = RuleProcessor(make_sessionmaker(engine)).start()
            else:
                processor = RuleProcess(settings.database_url).start(wait_s=300)
            writer = FixWriter(engine, on_stored=processor.submit).start()
            sink = writer
        tasks: list[Coroutine[Any, Any, object]] = [
            serve(
                engine,
                host=host,
                egts_port=egts_port,
                wialon_port=wialon_port,
                ports_file=ports_file,
                sink=sink,
                stop=stop,
            )
        ]
        if settings.mqtt_url:
            directory = DeviceDirectory(make_sessionmaker(engine))
            tasks.append(subscribe(settings.mqtt_url, sink, directory.authenticate, stop=stop))
        try:
            await asyncio.gather(*tasks)
        finally:
            if writer is not None:
                writer.close()
            if processor is not None:
                processor.close()
            if nc is not None:
                await nc.close()

    from shekara.telemetry.gateway.base import fast_event_loop

    fast_event_loop()
    try:
        asyncio.run(run())
    finally:
        engine.dispose()


@app.command("consume")
def consume_cmd(
    partitions: Annotated[str, typer.Option(help="Partitions to consume, e.g. 0,1")] = "0,1,2,3",
) -> None:
    """Rule processor on the JetStream fix stream (durable consumer per partition)."""
    from shekara.db.engine import make_engine, make_sessionmaker
    from shekara.logs import configure_logging
    from shekara.tracking.bus import BusConsumer, connect, ensure_stream

    settings = load_settings()
    if not settings.bus_url:
        err_console.print("[red]SHEKARA_BUS_URL is not set[/red]")
        raise typer.Exit(2)
    configure_logging(settings.log_level, settings.log_json)
    engine = make_engine(settings)

    async def run() -> None:
        nc, js = await connect(settings.bus_url)
        await ensure_stream(js)
        consumer = await BusConsumer(
            js, make_sessionmaker(engine), partitions=[int(p) for p in partitions.split(",")]
        ).start()
        try:
            await consumer.run(asyncio.Event())
        finally:
            await nc.close()

    try:
        asyncio.run(run())
    finally:
        engine.dispose()


@app.command("maintain")
def maintain_cmd(
    keep_days: Annotated[int, typer.Option(help="Delete fixes older than this; 0 keeps all")] = 0,
    months_ahead: Annotated[int, typer.Option(help="PostgreSQL partitions to create")] = 3,
) -> None:
    """Create the coming monthly partitions (PostgreSQL) and apply the retention limit."""
    from shekara.db.engine import make_engine
    from shekara.tracking.storage import apply_retention, ensure_partitions

    engine = make_engine(load_settings())
    try:
        created = ensure_partitions(engine, months_ahead)
        deleted = apply_retention(engine, keep_days) if keep_days > 0 else 0
    finally:
        engine.dispose()
    console.print(f"partitions created: {created}; fixes deleted: {deleted}")


@app.command("retention")
def retention_cmd(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; change nothing")
    ] = False,
    raw_days: Annotated[
        int | None, typer.Option(help="Keep every fix this many days [SHEKARA_TRACKING_RAW_DAYS]")
    ] = None,
    thin_seconds: Annotated[
        int | None,
        typer.Option(help="Then one fix per device per N seconds [SHEKARA_TRACKING_THIN_SECONDS]"),
    ] = None,
    keep_days: Annotated[
        int | None,
        typer.Option(help="Delete fixes older than this; 0 keeps [SHEKARA_TRACKING_KEEP_DAYS]"),
    ] = None,
) -> None:
    """Thin old tracks (one fix per device per interval, alarm and event fixes kept) and delete
    expired fixes (PostgreSQL: whole monthly partitions dropped). Run it daily."""
    from shekara.db.engine import make_engine
    from shekara.tracking.retention import RetentionPolicy, run_retention

    settings = load_settings()
    try:
        policy = RetentionPolicy(
            raw_days=settings.tracking_raw_days if raw_days is None else raw_days,
            thin_seconds=settings.tracking_thin_seconds if thin_seconds is None else thin_seconds,
            keep_days=settings.tracking_keep_days if keep_days is None else keep_days,
        )
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    engine = make_engine(settings)
    verb = "would thin" if dry_run else "thinned"

    def progress(day: str, scope: int, thinned: int) -> None:
        console.print(f"{day}: {verb} {thinned:,} of {scope:,} fixes")

    try:
        report = run_retention(engine, policy, dry_run=dry_run, progress=progress)
    finally:
        engine.dispose()
    prefix = "dry run: " if dry_run else ""
    dropped = ", ".join(report.partitions_dropped) or "none"
    console.print(
        f"{prefix}partitions {'to drop' if dry_run else 'dropped'}: {dropped} "
        f"({report.fixes_in_dropped_partitions:,} fixes); expired fixes "
        f"{'to delete' if dry_run else 'deleted'}: {report.fixes_expired:,}; "
        f"fixes {verb}: {report.fixes_thinned:,} over {report.days_thinned} days"
    )


def simulate_cmd(
    trucks: Annotated[int, typer.Option(help="Trucks with trackers")] = 10,
    seals: Annotated[int, typer.Option(help="Electronic navigation seals")] = 5,
    patrols: Annotated[int, typer.Option(help="Patrol units")] = 3,
    uavs: Annotated[int, typer.Option(help="UAVs")] = 2,
    duration: Annotated[float, typer.Option(help="Seconds to run")] = 60.0,
    interval: Annotated[float, typer.Option(help="Seconds between fixes of a device")] = 2.0,
    speedup: Annotated[float, typer.Option(help="How much faster than real vehicles")] = 30.0,
    seed: Annotated[int, typer.Option(help="Seed of the injected deviations")] = 1,
    agency: Annotated[str | None, typer.Option(help="Owner agency code")] = None,
    host: Annotated[str | None, typer.Option(help="Running gateways' host")] = None,
    egts_port: Annotated[int | None, typer.Option(help="Running EGTS gateway port")] = None,
    wialon_port: Annotated[int | None, typer.Option(help="Running Wialon gateway port")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Drive simulated trucks, seals, patrols and UAVs over EGTS and Wialon IPS (TCP) along
    real corridors, with deviations, stops, signal loss and tampering."""
    from shekara.db.engine import make_engine
    from shekara.db.migrate import upgrade
    from shekara.logs import configure_logging
    from shekara.tracking.simulate import run_simulation

    settings = load_settings()
    configure_logging(
        "WARNING" if settings.log_level == "INFO" else settings.log_level, settings.log_json
    )
    engine = make_engine(settings)
    try:
        upgrade(engine)
        report = asyncio.run(
            run_simulation(
                engine,
                trucks=trucks,
                seals=seals,
                patrols=patrols,
                uavs=uavs,
                duration=duration,
                interval=interval,
                speedup=speedup,
                seed=seed,
                agency=agency,
                host=host,
                egts_port=egts_port,
                wialon_port=wialon_port,
            )
        )
    finally:
        engine.dispose()
    if as_json:
        console.print_json(json.dumps(report.as_dict()))
        return
    console.print(f"devices: {dict(report.devices)}")
    console.print(
        f"fixes acknowledged: {dict(report.acked)} of {dict(report.sent)} sent; "
        f"errors: {report.errors}; {report.elapsed_s:.0f} s"
    )
    console.print(f"alerts raised: {dict(report.alerts) or 'none'}")


TOP_LEVEL = {"simulate": simulate_cmd}
