"""JetStream under SIGKILL: the gateway process and the rule processor process are killed at
random moments and restarted; no acknowledged fix is lost, and every stored fix is evaluated
once, in fix-time order per device.

Real processes (``python -m shekara.tracking.ingest --bus-url`` and ``python -m
shekara.tracking.bus``), the local NATS server (127.0.0.1:4222) and the test database. The
terminals speak EGTS and Wialon IPS over TCP and record what the gateway acknowledged.

How "once, in order" is observed: every other fix of a device carries an SOS alarm. An alarm
raises one event when it appears, so the open SOS alert of a device counts exactly the off→on
edges of its stored track. A fix evaluated twice, or after a later one, is older than the last
fix the rules saw: it would be treated as late data (a ``late`` alert) and the count of live
edges would differ.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from shekara.telemetry.protocols.fix import Fix
from shekara.tracking.bus import connect, ensure_stream
from shekara.tracking.clients import EgtsClient, NotAcknowledged, WialonClient
from shekara.tracking.constants import AlertKind
from shekara.tracking.models import Alert, FixRow, RuleState

from .helpers import add_devices, track

pytestmark = pytest.mark.broker
NATS_URL = os.environ.get("SHEKARA_TEST_NATS_URL", "nats://127.0.0.1:4222")


@pytest.fixture(autouse=True)
def _nats_available() -> None:
    host, _, port = NATS_URL.removeprefix("nats://").partition(":")
    try:
        socket.create_connection((host, int(port or 4222)), timeout=1).close()
    except OSError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"NATS is not reachable at {NATS_URL} (required under CI)")
        pytest.skip(f"NATS is not reachable at {NATS_URL}")


class Processes:
    def __init__(self, url: str, tag: str, workdir: Path):
        self.url, self.tag, self.workdir = url, tag, workdir
        self.stream, self.prefix = f"SHEKARA_KILL_{tag}", f"kill.{tag}.fixes"
        self.gateway: subprocess.Popen[bytes] | None = None
        self.consumer: subprocess.Popen[bytes] | None = None
        self.ports: dict[str, int] = {}

    def _spawn(self, module: str, *extra: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, "SHEKARA_LOG_LEVEL": "WARNING", "SHEKARA_AUDIT_SEAL_SECONDS": "0"}
        return subprocess.Popen(
            [sys.executable, "-m", module, "--database-url", self.url, "--bus-url", NATS_URL]
            + ["--stream", self.stream, "--prefix", self.prefix, *extra],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(self.workdir / f"{module}.log").open("ab"),  # shown when the test fails
        )

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.workdir.glob("*.log"))
        )

    def start_gateway(self) -> None:
        ports_file = self.workdir / "ports.json"
        ports_file.unlink(missing_ok=True)
        self.gateway = self._spawn("shekara.tracking.ingest", "--ports-file", str(ports_file))
        deadline = time.monotonic() + 60
        while not ports_file.exists():
            if self.gateway.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gateway process did not start")
            time.sleep(0.05)
        self.ports = json.loads(ports_file.read_text())

    def start_consumer(self) -> None:
        self.consumer = self._spawn("shekara.tracking.bus", "--durable", f"rules{self.tag}")

    @staticmethod
    def kill(proc: subprocess.Popen[bytes] | None) -> None:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()

    def stop(self) -> None:
        for proc in (self.gateway, self.consumer):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.kill(proc)


def sos_track(kind: str, imei: str, first: int, n: int, t0: datetime) -> list[Fix]:
    """Fixes ``first``…``first + n - 1`` of a device, one a second; the odd ones carry SOS."""
    sos = {"event_code": 13} if kind == "egts" else {"SOS": 1}
    fixes = track(imei, n, start=t0 + timedelta(seconds=first), step_s=1, dlat=1e-4, dlon=1e-4)
    return [
        dataclasses.replace(f, params=sos) if (first + i) % 2 else f for i, f in enumerate(fixes)
    ]


async def terminal(
    kind: str,
    imei: str,
    ports: dict[str, int],
    seq: list[int],
    acked: set[tuple[str, datetime]],
    stop: asyncio.Event,
    rng: random.Random,
    t0: datetime,
) -> None:
    """Send batches of 1-6 fixes until the connection breaks; record what was acknowledged.
    A batch that was not acknowledged is not sent again (the strictest case for the test)."""
    client: EgtsClient | WialonClient
    if kind == "egts":
        client = EgtsClient("127.0.0.1", ports["egts"], imei)
    else:
        client = WialonClient("127.0.0.1", ports["wialon_ips"], imei)
    try:
        await client.connect()
        while not stop.is_set():
            n = rng.randint(1, 6)
            fixes = sos_track(kind, imei, seq[0], n, t0)
            seq[0] += n
            await client.send(fixes, timeout=10)
            acked.update((imei, f.fix_time) for f in fixes)
    except (NotAcknowledged, OSError, TimeoutError, asyncio.IncompleteReadError):
        pass
    finally:
        await client.close()


def test_sigkill_gateway_and_rule_processor(engine: Engine, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    egts = [f"88{tag}{i:05d}"[:15] for i in range(3)]
    wialon = [f"89{tag}{i:05d}"[:15] for i in range(3)]
    ids = add_devices(engine, egts + wialon)
    procs = Processes(engine.url.render_as_string(hide_password=False), tag, tmp_path)
    rng = random.Random(int(os.environ.get("SHEKARA_TEST_SEED", "11")))
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    seqs = {i: [0] for i in egts + wialon}
    acked: set[tuple[str, datetime]] = set()

    async def prepare() -> None:
        nc, js = await connect(NATS_URL)
        try:
            await ensure_stream(js, procs.stream, procs.prefix)
        finally:
            await nc.close()

    async def one_life() -> None:
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(terminal(k, i, procs.ports, seqs[i], acked, stop, rng, t0))
            for k, group in (("egts", egts), ("wialon", wialon))
            for i in group
        ]
        await asyncio.sleep(rng.uniform(0.3, 1.5))
        victim = rng.choice(["gateway", "consumer", "both"])
        if victim in ("consumer", "both"):
            procs.kill(procs.consumer)  # mid-batch: stored or not, acknowledged or not
        if victim in ("gateway", "both"):
            procs.kill(procs.gateway)  # mid-publication: devices left unanswered
        else:
            await asyncio.sleep(rng.uniform(0.1, 0.5))
            procs.kill(procs.gateway)  # end this life's connections too
        stop.set()
        await asyncio.gather(*tasks)

    asyncio.run(prepare())
    try:
        procs.start_consumer()
        for _ in range(5):
            procs.start_gateway()
            if procs.consumer is None or procs.consumer.poll() is not None:
                procs.start_consumer()
            asyncio.run(one_life())
        if procs.consumer is None or procs.consumer.poll() is not None:
            procs.start_consumer()
        # let the last consumer drain the stream
        by_id = {str(v): k for k, v in ids.items()}
        deadline = time.monotonic() + 120
        while True:
            with engine.connect() as conn:
                stored = {
                    (by_id[str(d)], t if t.tzinfo else t.replace(tzinfo=UTC))
                    for d, t in conn.execute(
                        select(FixRow.device_id, FixRow.fix_time).where(
                            FixRow.device_id.in_(list(ids.values()))
                        )
                    )
                }
                last = {
                    by_id[str(d)]: t if t is None or t.tzinfo else t.replace(tzinfo=UTC)
                    for d, t in conn.execute(
                        select(RuleState.device_id, RuleState.last_fix_time).where(
                            RuleState.device_id.in_(list(ids.values()))
                        )
                    )
                }
            newest = {i: max((t for d, t in stored if d == i), default=None) for i in ids}
            if acked <= stored and all(last.get(i) == newest[i] for i in ids if newest[i]):
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        procs.stop()

        async def drop() -> None:
            nc, js = await connect(NATS_URL)
            try:
                await js.delete_stream(procs.stream)
            finally:
                await nc.close()

        asyncio.run(drop())

    assert len(acked) > 100, "the terminals should have had fixes acknowledged"
    missing = acked - stored
    assert not missing, (
        f"{len(missing)} acknowledged fixes lost, e.g. {sorted(missing)[:3]}\n{procs.logs()}"
    )
    unprocessed = {i for i in ids if newest[i] and last.get(i) != newest[i]}
    assert not unprocessed, f"stored fixes never evaluated for {unprocessed}"
    # once and in order: the live SOS edges of each stored track, and no late alert
    with engine.connect() as conn:
        alerts = conn.execute(
            select(Alert.device_id, Alert.kind, Alert.late, Alert.occurrences).where(
                Alert.device_id.in_(list(ids.values()))
            )
        ).all()
    assert not [a for a in alerts if a.late], (
        f"a fix evaluated twice or out of order\n{procs.logs()}"
    )
    for imei, device_id in ids.items():
        times = sorted(t for d, t in stored if d == imei)
        on = [(t - t0).total_seconds() % 2 == 1 for t in times]
        edges = sum(1 for k, v in enumerate(on) if v and (k == 0 or not on[k - 1]))
        counted = sum(
            a.occurrences for a in alerts if a.device_id == device_id and a.kind == AlertKind.sos
        )
        assert counted == edges, (imei, counted, edges)
