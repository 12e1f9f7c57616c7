"""Decode throughput of the tracker protocol codecs, in fixes per second on one core.

Packets are generated deterministically (seeded), encoded once, then decoded in a loop the way
a gateway does (EGTS: `decode` on a stream buffer; Wialon IPS: `split_frame` + `decode_frame`).
Writes bench/results/decode.json with the machine description.

    python bench/bench_decode.py [--seconds 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shekara.telemetry.protocols.egts import (
    ExtPosData,
    PosData,
    Service,
    StateData,
    Subrecord,
    decode,
    encode_appdata,
    encode_ext_pos_data,
    encode_pos_data,
    encode_record,
    encode_state,
    encode_subrecord,
)
from shekara.telemetry.protocols.fix import Fix
from shekara.telemetry.protocols.wialon import (
    decode_frame,
    encode_blackbox,
    encode_d,
    encode_sd,
    split_frame,
)

TARGET = 50_000
START = datetime(2026, 1, 1, tzinfo=UTC)
RESULTS = Path(__file__).parent / "results" / "decode.json"


def _position(rng: random.Random, i: int) -> PosData:
    return PosData(
        time=START + timedelta(seconds=30 * i),
        lat=rng.uniform(40.0, 55.0),
        lon=rng.uniform(50.0, 87.0),
        valid=rng.random() > 0.05,
        fix3d=True,
        blackbox=rng.random() < 0.1,
        moving=True,
        speed_kmh=round(rng.uniform(0, 120), 1),
        course_deg=rng.randrange(360),
        odometer_km=round(rng.uniform(0, 50000), 1),
        inputs=rng.randrange(256),
        source=rng.choice([0, 0, 0, 2, 13]),
        altitude_m=rng.randrange(-20, 2500),
    )


def egts_stream(rng: random.Random, packets: int, per_packet: int) -> bytes:
    """TELEDATA packets of `per_packet` records: POS_DATA + EXT_POS_DATA + STATE_DATA each."""
    out = bytearray()
    n = 0
    for pid in range(packets):
        records = []
        for rn in range(per_packet):
            subs = (
                encode_subrecord(Subrecord.POS_DATA, encode_pos_data(_position(rng, n)))
                + encode_subrecord(
                    Subrecord.EXT_POS_DATA,
                    encode_ext_pos_data(ExtPosData(hdop=0.9, satellites=rng.randrange(4, 20))),
                )
                + encode_subrecord(
                    Subrecord.STATE_DATA,
                    encode_state(StateData(2, 12.6, 4.1, 4.0, False, False, True)),
                )
            )
            records.append(encode_record(rn, Service.TELEDATA, subs, oid=1000 if rn == 0 else None))
            n += 1
        out += encode_appdata(records, pid)
    return bytes(out)


def _fix(rng: random.Random, i: int, params: bool) -> Fix:
    extra: dict[str, int | float | str] = {}
    if params:
        extra = {"inputs": rng.randrange(256), "outputs": 0, "adc1": 12.5, "fuel": 45.5}
    return Fix(
        device_id="bench",
        fix_time=START + timedelta(seconds=30 * i),
        lat=round(rng.uniform(40.0, 55.0), 6),
        lon=round(rng.uniform(50.0, 87.0), 6),
        valid=True,
        speed_kmh=float(rng.randrange(120)),
        course_deg=float(rng.randrange(360)),
        altitude_m=float(rng.randrange(2500)),
        satellites=rng.randrange(4, 20),
        hdop=0.9 if params else None,
        params=extra,
    )


def wialon_stream(rng: random.Random, frames: int, kind: str, version: str) -> bytes:
    out = bytearray()
    for i in range(frames):
        if kind == "SD":
            out += encode_sd(_fix(rng, i, False), version)
        elif kind == "D":
            out += encode_d(_fix(rng, i, True), version)
        else:
            out += encode_blackbox([_fix(rng, i * 10 + k, True) for k in range(10)], version)
    return bytes(out)


def _chunks(stream: bytes, size: int = 65536) -> list[bytes]:
    """The stream as the socket reads of a gateway would deliver it."""
    return [stream[i : i + size] for i in range(0, len(stream), size)]


def run_egts(chunks: list[bytes]) -> int:
    """Decode like the EGTS gateway: a bytearray buffer, one packet at a time, and build
    each acknowledgement."""
    fixes = 0
    buf = bytearray()
    now = datetime.now(UTC)
    for chunk in chunks:
        buf += chunk
        while buf:
            result = decode(buf, device_id="bench", received_at=now)
            if result.need_more:
                break
            del buf[: result.consumed]
            fixes += len(result.fixes)
            result.response(1, 0)
    return fixes


def run_wialon(chunks: list[bytes], version: str) -> int:
    """Decode like the Wialon IPS gateway: split frames off a bytearray, decode each."""
    fixes = 0
    buf = bytearray()
    now = datetime.now(UTC)
    for chunk in chunks:
        buf += chunk
        while buf:
            frame, used = split_frame(buf)
            if frame is None:
                break
            del buf[:used]
            result = decode_frame(frame, version=version, device_id="bench", received_at=now)
            fixes += len(result.fixes)
    return fixes


def measure(name: str, fn: Callable[[], int], seconds: float, repeats: int) -> dict[str, object]:
    """Run `fn` for `seconds`, `repeats` times.

    The figure is fixes per CPU second of this process (`time.process_time`), the best window:
    that is the throughput of one core, whatever else the machine runs. Wall-clock rates are kept
    beside it; on a busy machine they measure the other processes as much as the decoder."""
    fn()  # warm-up
    cpu_rates: list[float] = []
    wall_rates: list[float] = []
    total = 0
    for _ in range(repeats):
        fixes = 0
        wall0, cpu0 = time.perf_counter(), time.process_time()
        while True:
            fixes += fn()
            wall = time.perf_counter() - wall0
            if wall >= seconds:
                break
        cpu = time.process_time() - cpu0
        cpu_rates.append(fixes / cpu)
        wall_rates.append(fixes / wall)
        total += fixes
    best = max(cpu_rates)
    wall_best, wall_median = max(wall_rates), statistics.median(wall_rates)
    sys.stdout.write(
        f"{name:<32} {best:>9,.0f} fixes per CPU second"
        f"  (wall clock: best {wall_best:,.0f}, median {wall_median:,.0f})\n"
    )
    return {
        "name": name,
        "fixes_decoded": total,
        "repeats": repeats,
        "seconds_each": seconds,
        "fixes_per_cpu_second": round(best),
        "fixes_per_cpu_second_median": round(statistics.median(cpu_rates)),
        "fixes_per_wall_second_best": round(max(wall_rates)),
        "fixes_per_wall_second_median": round(statistics.median(wall_rates)),
        "meets_target": best >= TARGET,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per window")
    parser.add_argument("--repeats", type=int, default=3, help="windows per case")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    rng = random.Random(54619)
    egts1 = _chunks(egts_stream(rng, 2000, 1))
    egts10 = _chunks(egts_stream(rng, 200, 10))
    sd = _chunks(wialon_stream(rng, 2000, "SD", "2.0"))
    d11 = _chunks(wialon_stream(rng, 2000, "D", "1.1"))
    d20 = _chunks(wialon_stream(rng, 2000, "D", "2.0"))
    bb = _chunks(wialon_stream(rng, 200, "B", "2.0"))
    cases = [
        ("egts: 1 record per packet", lambda: run_egts(egts1)),
        ("egts: 10 records per packet", lambda: run_egts(egts10)),
        ("wialon_ips 2.0: #SD#", lambda: run_wialon(sd, "2.0")),
        ("wialon_ips 1.1: #D#", lambda: run_wialon(d11, "1.1")),
        ("wialon_ips 2.0: #D#", lambda: run_wialon(d20, "2.0")),
        ("wialon_ips 2.0: #B# of 10 #D#", lambda: run_wialon(bb, "2.0")),
    ]
    results = [measure(name, fn, args.seconds, args.repeats) for name, fn in cases]
    report = {
        "benchmark": "decode",
        "unit": "fixes per CPU second of one single-threaded process (one core)",
        "target_fixes_per_second": TARGET,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "python": sys.version.split()[0],
            "implementation": platform.python_implementation(),
            "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        },
        "results": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    sys.stdout.write(f"saved {args.output}\n")


if __name__ == "__main__":
    main()
