"""`shekara simulate`: real protocols over TCP, injected deviations, alerts raised."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from typer.testing import CliRunner

from shekara.cli import tracking_cmds
from shekara.tracking.simulate import corridor_paths, plan, position, run_simulation

from .helpers import sqlite_db


def test_corridors_are_real_places() -> None:
    paths = corridor_paths()
    assert len(paths) >= 10
    for _, path, _ in paths:
        assert all(30 < lat < 60 and 20 < lon < 100 for lat, lon in path)


def test_position_moves_along_and_back() -> None:
    path = [(50.0, 57.0), (50.0, 58.0)]  # ~71.5 km
    lat, lon, course = position(path, 10.0, loop=False)
    assert lat == 50.0 and 57.1 < lon < 57.2 and round(course) == 90
    lat, lon, course = position(path, 71.5 * 2 - 10.0, loop=False)
    assert 57.1 < lon < 57.2 and round(course) == 270


def test_plan_is_deterministic() -> None:
    a = [(d.identifier, d.behaviour, d.protocol) for d in plan(6, 3, 3, 2, seed=5)]
    b = [(d.identifier, d.behaviour, d.protocol) for d in plan(6, 3, 3, 2, seed=5)]
    assert a == b and len({i for i, _, _ in a}) == 14
    assert all(len(i) == 15 and i.isdigit() for i, _, _ in a)


def test_small_simulation(tmp_path: Path) -> None:
    _, engine = sqlite_db(tmp_path / "sim.db")
    report = asyncio.run(
        run_simulation(
            engine,
            trucks=5,
            seals=2,
            patrols=3,
            uavs=1,
            duration=6.0,
            interval=0.4,
            speedup=50.0,
            seed=3,
        )
    )
    engine.dispose()
    assert report.errors == 0
    assert report.sent == report.acked and sum(report.acked.values()) > 100
    assert set(report.sent) == {"egts", "wialon_ips"}
    assert {"tamper", "sos", "seal_broken"} <= set(report.alerts), report.alerts


def test_cli_exposes_simulate() -> None:
    assert tracking_cmds.TOP_LEVEL["simulate"] is tracking_cmds.simulate_cmd
    app = typer.Typer()
    app.command("simulate")(tracking_cmds.simulate_cmd)
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0 and "--trucks" in result.output
    result = CliRunner().invoke(tracking_cmds.app, ["--help"])
    assert "ingest" in result.output and "consume" in result.output
