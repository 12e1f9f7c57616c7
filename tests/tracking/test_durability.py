"""Killing the ingest process with SIGKILL at any moment loses no acknowledged fix.

The real gateways run in a subprocess on a SQLite file, or on a PostgreSQL database of its own
when the suite runs on PostgreSQL (there the writer COPYs batches straight into the fixes
table and falls back to a staging table for resent fixes). Terminals speak EGTS and Wialon IPS
over TCP with the real encoders and record every fix the server acknowledged. The process is
SIGKILLed at random moments and restarted; at the end every acknowledged fix is in the
database.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from shekara.db.engine import make_engine
from shekara.db.migrate import upgrade
from shekara.settings import Settings
from shekara.tracking.clients import EgtsClient, NotAcknowledged, WialonClient
from shekara.tracking.models import FixRow
from tests.conftest import database_of_its_own

from .helpers import T0, add_devices, track

EGTS_DEVICES = ["860000000000001", "860000000000002", "860000000000003"]
WIALON_DEVICES = ["860000000000011", "860000000000012", "860000000000013"]


def start_ingest(url: str, ports_file: Path) -> tuple[subprocess.Popen[bytes], dict[str, int]]:
    ports_file.unlink(missing_ok=True)
    env = {**os.environ, "SHEKARA_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shekara.tracking.ingest",
            "--database-url",
            url,
            "--ports-file",
            str(ports_file),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not ports_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("ingest process did not start")
        time.sleep(0.05)
    return proc, json.loads(ports_file.read_text())


async def terminal(
    kind: str,
    imei: str,
    ports: dict[str, int],
    seq: list[int],
    acked: set[tuple[str, str]],
    stop: asyncio.Event,
    rng: random.Random,
) -> None:
    """Send batches of 1-8 fixes until the connection breaks; record what was acknowledged."""
    client: EgtsClient | WialonClient
    if kind == "egts":
        client = EgtsClient("127.0.0.1", ports["egts"], imei)
    else:
        client = WialonClient("127.0.0.1", ports["wialon_ips"], imei)
    try:
        await client.connect()
        while not stop.is_set():
            n = rng.randint(1, 8)
            start = T0 + timedelta(seconds=seq[0])
            seq[0] += n
            blackbox = kind == "wialon" and rng.random() < 0.3
            fixes = track(imei, n, start=start, step_s=1, blackbox=blackbox)
            await client.send(fixes)
            for f in fixes:
                acked.add((imei, f.fix_time.isoformat()))
    except (NotAcknowledged, OSError, TimeoutError, asyncio.IncompleteReadError):
        pass
    finally:
        await client.close()


async def one_life(
    ports: dict[str, int],
    proc: subprocess.Popen[bytes],
    seqs: dict[str, list[int]],
    acked: set[tuple[str, str]],
    rng: random.Random,
) -> None:
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(terminal("egts", i, ports, seqs[i], acked, stop, rng))
        for i in EGTS_DEVICES
    ] + [
        asyncio.create_task(terminal("wialon", i, ports, seqs[i], acked, stop, rng))
        for i in WIALON_DEVICES
    ]
    await asyncio.sleep(rng.uniform(0.2, 1.2))
    proc.send_signal(signal.SIGKILL)  # mid-flight: batches queued, half-written, unanswered
    await asyncio.gather(*tasks)
    stop.set()


@pytest.fixture
def ingest_db(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A database the ingest subprocess can reach: committed data, its own connection."""
    with database_of_its_own("shekara_test_durability", tmp_path / "ingest.db") as url:
        engine = make_engine(Settings(env="test", audit_seal_seconds=0), url)
        upgrade(engine)
        yield url, engine
        engine.dispose()


def test_sigkill_loses_no_acknowledged_fix(tmp_path: Path, ingest_db: tuple[str, Engine]) -> None:
    url, engine = ingest_db
    ids = add_devices(engine, EGTS_DEVICES + WIALON_DEVICES)
    ports_file = tmp_path / "ports.json"
    rng = random.Random(int(os.environ.get("SHEKARA_TEST_SEED", "7")))
    seqs = {i: [0] for i in EGTS_DEVICES + WIALON_DEVICES}
    acked: set[tuple[str, str]] = set()
    lives = 4
    for _ in range(lives):
        proc, ports = start_ingest(url, ports_file)
        try:
            asyncio.run(one_life(ports, proc, seqs, acked, rng))
        finally:
            proc.kill()
            proc.wait()
    assert len(acked) > 50, "the terminals should have had fixes acknowledged"
    by_id = {str(v): k for k, v in ids.items()}
    with engine.connect() as conn:
        stored = {
            (by_id[str(d)], t.isoformat())
            for d, t in conn.execute(select(FixRow.device_id, FixRow.fix_time))
        }
    missing = acked - stored
    assert not missing, f"{len(missing)} acknowledged fixes lost, e.g. {sorted(missing)[:3]}"
