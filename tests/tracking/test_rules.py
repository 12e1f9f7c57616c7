"""Pure rule and geofence tests (no database)."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta

import pytest

from shekara.refdata.loaders import load_border_sections
from shekara.telemetry.protocols.fix import SEAL_ALARM_CODES, Alarm, Fix
from shekara.tracking.constants import AlertKind, DeviceKind
from shekara.tracking.geofence import (
    FenceKind,
    Geofence,
    GeofenceIndex,
    buffer_line,
    haversine_m,
    split_line,
)
from shekara.tracking.rules import (
    AlertEvent,
    DeviceContext,
    DeviceState,
    RuleConfig,
    evaluate,
    green_corridor,
    state_from_json,
    state_to_json,
    sweep,
)

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
M_PER_DEG_LAT = 111_195.0

CORRIDOR = Geofence.from_lines("trip-1", FenceKind.corridor, [[(56.0, 50.0), (58.0, 50.0)]], 1000)
BORDER = Geofence.from_lines("border", FenceKind.border_strip, [[(56.0, 51.0), (60.0, 51.0)]], 5000)
CHECKPOINT = Geofence.disc("cp", FenceKind.checkpoint_zone, 51.0, 58.0, 3000)
SECTOR = Geofence.from_geojson(
    "sector-1",
    FenceKind.sector,
    {"type": "Polygon", "coordinates": [[[56, 49], [57, 49], [57, 49.5], [56, 49.5], [56, 49]]]},
)
GEO = GeofenceIndex([CORRIDOR, BORDER, CHECKPOINT, SECTOR])
TRUCK = DeviceContext(
    "d1", trip_id="trip-1", corridor_fence="trip-1", allowed_stops=((50.0, 57.5, 1500.0),)
)


def fix(t: float, lat: float, lon: float, speed: float = 60.0, **kw: object) -> Fix:
    return Fix(
        device_id="d1",
        fix_time=T0 + timedelta(seconds=t),
        lat=lat,
        lon=lon,
        valid=True,
        speed_kmh=speed,
        hdop=1.0,
        received_at=T0 + timedelta(seconds=t),
        **kw,
    )  # type: ignore[arg-type]


def run(
    fixes: list[Fix],
    ctx: DeviceContext = TRUCK,
    state: DeviceState | None = None,
    config: RuleConfig | None = None,
) -> tuple[DeviceState, list[AlertEvent]]:
    state = state or DeviceState()
    config = config or RuleConfig()
    events: list[AlertEvent] = []
    for f in fixes:
        now = f.received_at or f.fix_time
        state, ev = evaluate(state, f, ctx, GEO, now, config)
        events.extend(ev)
    return state, events


def kinds(events: list[AlertEvent]) -> list[AlertKind]:
    return [e.kind for e in events]


# --- geofences ------------------------------------------------------------------------------


def test_buffer_is_metric() -> None:
    assert "trip-1" in GEO.at(50.0 + 900 / M_PER_DEG_LAT, 57.0)
    assert "trip-1" not in GEO.at(50.0 + 1100 / M_PER_DEG_LAT, 57.0)
    # along longitude too, where a degree is shorter
    assert "trip-1" in GEO.at(50.0, 58.0 + 0.012)  # ~860 m east of the end
    assert "trip-1" not in GEO.at(50.0, 58.0 + 0.016)  # ~1,140 m


def test_long_lines_are_subdivided() -> None:
    pieces = split_line([(56.0, 51.0), (60.0, 51.0)], 25_000)
    assert len(pieces) >= 11  # 280 km
    polys = buffer_line([(56.0, 51.0), (60.0, 51.0)], 5000)
    assert all(p.bounds[2] - p.bounds[0] < 0.6 for p in polys)


def test_real_border_sections_index() -> None:
    sections = load_border_sections()
    fences = [
        Geofence.from_lines(
            s.id,
            FenceKind.border_strip,
            [[(lon, lat) for lat, lon in line] for line in s.lines],
            5000,
        )
        for s in sections
    ]
    index = GeofenceIndex(fences)
    assert index.pieces > len(sections) * 3
    lat, lon = sections[0].lines[0][5]
    assert sections[0].id in index.at(lat, lon)
    assert not index.at(0.0, 0.0)


def test_segment_between_sparse_fixes_is_tested() -> None:
    assert not GEO.at(50.9, 57.0) and not GEO.at(51.1, 57.0)
    assert "border" in GEO.crossed(50.9, 57.0, 51.1, 57.0)


def test_haversine() -> None:
    assert haversine_m(50, 57, 51, 57) == pytest.approx(M_PER_DEG_LAT, rel=1e-3)


# --- corridor, dwell and hysteresis -----------------------------------------------------------

OUT = 50.05  # 5.5 km north of the corridor line


def test_corridor_exit_needs_dwell() -> None:
    _, ev = run([fix(0, 50.0, 57.0), fix(30, OUT, 57.01), fix(60, OUT, 57.02)])
    assert not ev  # two fixes, 30 s: not yet
    _, ev = run(
        [
            fix(0, 50.0, 57.0),
            fix(30, OUT, 57.01),
            fix(60, OUT, 57.02),
            fix(150, OUT, 57.03),
            fix(180, OUT, 57.04),
        ]
    )
    assert kinds(ev) == [AlertKind.corridor_exit]  # once, not per fix


def test_jitter_does_not_flood() -> None:
    fixes = [fix(i * 30, OUT if i % 2 else 50.0, 57.0 + i * 0.001) for i in range(40)]
    _, ev = run(fixes)
    assert not ev


def test_reentry_clears_then_new_exit_alerts_again() -> None:
    out = [fix(i * 60, OUT, 57.0 + i * 0.01) for i in range(4)]
    back = [fix(300 + i * 60, 50.0, 57.1 + i * 0.01) for i in range(2)]
    out2 = [fix(500 + i * 60, OUT, 57.2 + i * 0.01) for i in range(4)]
    _, ev = run([fix(-60, 50.0, 56.99), *out, *back, *out2])
    assert kinds(ev) == [AlertKind.corridor_exit, AlertKind.corridor_exit]


def test_inaccurate_fixes_do_not_count() -> None:
    bad = [dataclasses.replace(fix(i * 60, OUT, 57.0), hdop=25.0) for i in range(6)]
    invalid = [dataclasses.replace(fix(400 + i * 60, OUT, 57.0), valid=False) for i in range(6)]
    _, ev = run(bad + invalid)
    assert not ev


def test_sparse_excursion_between_fixes() -> None:
    # 57.0 -> 57.6 along the corridor but the straight line bulges? no: use a corridor with
    # a bend and fixes on both legs, 20 minutes apart
    bend = Geofence.from_lines(
        "bend", FenceKind.corridor, [[(56.0, 50.0), (57.0, 50.5), (58.0, 50.0)]], 1000
    )
    geo = GeofenceIndex([bend])
    ctx = DeviceContext("d1", trip_id="t", corridor_fence="bend", watch_border=False)
    s, ev = evaluate(DeviceState(), fix(0, 50.1, 56.2), ctx, geo, T0)
    s, ev = evaluate(s, fix(1200, 50.1, 57.8), ctx, geo, T0 + timedelta(seconds=1200))
    assert kinds(ev) == [AlertKind.corridor_exit] and ev[0].detail["via"] == "segment"


# --- stops ------------------------------------------------------------------------------------


def test_unauthorised_stop() -> None:
    fixes = [fix(i * 60, 50.0, 57.0, speed=0.0) for i in range(17)]
    _, ev = run(fixes)
    assert kinds(ev) == [AlertKind.unauthorised_stop]


def test_stop_at_allowed_place_or_checkpoint_is_fine() -> None:
    _, ev = run([fix(i * 60, 50.0, 57.505, speed=0.0) for i in range(20)])
    assert not ev


def test_short_stop_is_fine() -> None:
    fixes = [fix(i * 60, 50.0, 57.0, speed=0.0) for i in range(10)]
    fixes += [fix(600 + i * 60, 50.0, 57.01 + i * 0.01) for i in range(10)]
    _, ev = run(fixes)
    assert not ev


# --- border strip -------------------------------------------------------------------------------


def test_border_strip_away_from_checkpoint() -> None:
    free = DeviceContext("d1")
    _, ev = run([fix(0, 50.9, 57.0), fix(30, 50.98, 57.0), fix(60, 50.99, 57.0)], free)
    assert kinds(ev) == [AlertKind.border_strip]


def test_border_strip_at_checkpoint_is_fine() -> None:
    free = DeviceContext("d1")
    _, ev = run([fix(i * 30, 50.99, 58.0, speed=10) for i in range(6)], free)
    assert not ev


def test_jump_over_strip_is_seen() -> None:
    free = DeviceContext("d1")
    _, ev = run([fix(0, 50.9, 57.0), fix(600, 51.1, 57.0)], free)
    assert kinds(ev) == [AlertKind.border_strip] and ev[0].detail["via"] == "segment"


def test_patrols_work_in_the_strip() -> None:
    patrol = DeviceContext(
        "p1", kind=DeviceKind.patrol, sector_fence="sector-1", watch_border=False
    )
    _, ev = run([fix(i * 30, 50.99, 57.0) for i in range(5)], patrol)
    assert kinds(ev) == [AlertKind.sector_exit]
    _, ev = run([fix(i * 30, 49.2, 56.5) for i in range(5)], patrol)
    assert not ev


# --- alarms -----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(SEAL_ALARM_CODES))
def test_seal_codes(code: int) -> None:
    alarm = SEAL_ALARM_CODES[code]
    _, ev = run(
        [
            fix(0, 50.0, 57.0),
            fix(30, 50.0, 57.01, alarms=frozenset({alarm})),
            fix(60, 50.0, 57.02, alarms=frozenset({alarm})),
        ]
    )
    assert len(ev) == 1
    assert ev[0].detail["seal_code"] == f"{code:02d}"
    expected = {1: AlertKind.seal_broken, 2: AlertKind.seal_broken, 5: AlertKind.battery_low}
    assert ev[0].kind == expected.get(code, AlertKind.seal_alarm)


def test_tamper_power_sos_battery() -> None:
    _, ev = run(
        [
            fix(0, 50.0, 57.0, alarms=frozenset({Alarm.TAMPER})),
            fix(30, 50.0, 57.01, params={"on_backup_power": True, "power_v": 0.0}),
            fix(60, 50.0, 57.02, alarms=frozenset({Alarm.SOS})),
            fix(90, 50.0, 57.03, params={"battery_pct": 9}),
        ]
    )
    assert kinds(ev) == [
        AlertKind.tamper,
        AlertKind.power_cut,
        AlertKind.sos,
        AlertKind.battery_low,
    ]


# --- black box ----------------------------------------------------------------------------------


def test_black_box_is_late_and_does_not_move_live_state() -> None:
    state, _ = run([fix(3600, 50.0, 57.5)])
    old = [
        dataclasses.replace(
            fix(i * 60, 50.0, 57.0, speed=0.0),
            blackbox=True,
            received_at=T0 + timedelta(seconds=3700),
        )
        for i in range(20)
    ]
    old[3] = dataclasses.replace(old[3], alarms=frozenset({Alarm.TAMPER}))
    new_state, ev = run(old, state=state)
    assert {e.kind for e in ev} == {AlertKind.tamper, AlertKind.unauthorised_stop}
    assert all(e.late for e in ev)
    assert new_state.live == state.live


def test_out_of_order_fix_is_late() -> None:
    state, _ = run([fix(600, 50.0, 57.5)])
    _, ev = run([fix(300, 50.0, 57.4, alarms=frozenset({Alarm.SOS}))], state=state)
    assert ev[0].late


# --- signal lost, green corridor, state --------------------------------------------------------


def test_signal_lost_after_two_periods_once() -> None:
    state, _ = run([fix(0, 50.0, 57.0)])
    s, ev = sweep(state, TRUCK, T0 + timedelta(seconds=100))
    assert not ev
    s, ev = sweep(state, TRUCK, T0 + timedelta(seconds=121))
    assert kinds(ev) == [AlertKind.signal_lost]
    s2, ev = sweep(s, TRUCK, T0 + timedelta(seconds=300))
    assert not ev
    s3, _ = run([fix(400, 50.0, 57.1)], state=s2)
    assert not s3.signal_alerted


def test_seal_signal_lost_is_code_06() -> None:
    seal = DeviceContext("s1", kind=DeviceKind.seal)
    state, _ = run([fix(0, 50.0, 57.0)], seal)
    _, ev = sweep(state, seal, T0 + timedelta(hours=1))
    assert ev[0].detail["seal_code"] == "06"


def test_green_corridor() -> None:
    state, _ = run([fix(i * 60, 50.0, 56.5 + i * 0.01) for i in range(30)])
    assert green_corridor(state, TRUCK, []).eligible
    assert not green_corridor(state, TRUCK, ["tamper"]).eligible
    assert not green_corridor(state, TRUCK, [], screening=lambda: False).eligible
    gappy, _ = run([fix(0, 50.0, 56.5), fix(60, 50.0, 56.51), fix(600, 50.0, 56.6)])
    result = green_corridor(gappy, TRUCK, [])
    assert not result.eligible and "silent" in result.reasons[0]


def test_state_json_roundtrip() -> None:
    state, _ = run(
        [fix(i * 60, OUT, 57.0, speed=0.0, alarms=frozenset({Alarm.SOS})) for i in range(3)]
    )
    assert state_from_json(state_to_json(state)) == state


def test_prefetched_answers_are_the_index_answers_a_device_asks_for() -> None:
    """A batch's vectorised answers: at a point, the shared geofences (border strips,
    checkpoint zones) holding it and the device's own corridor or sector if it holds it; on
    a segment, the shared geofences it touches. Exactly what the index answers, filtered."""
    other = Geofence.from_lines("trip-2", FenceKind.corridor, [[(56.5, 50.2), (57.5, 51.2)]], 3000)
    index = GeofenceIndex([CORRIDOR, BORDER, CHECKPOINT, SECTOR, other])
    rng = random.Random(3)
    owns = [("trip-1",), ("trip-2",), ("sector-1",), (), ("trip-1", "sector-1")]
    points, own, segments = [], [], []
    for k in range(3000):
        lat, lon = rng.uniform(48.9, 51.3), rng.uniform(55.8, 60.2)
        if k % 10 == 0:  # around the checkpoint (a small disc)
            lat, lon = 51.0 + rng.uniform(-0.03, 0.03), 58.0 + rng.uniform(-0.04, 0.04)
        points.append((lat, lon))
        own.append(owns[k % len(owns)])
        segments.append((lat, lon, rng.uniform(48.9, 51.3), rng.uniform(55.8, 60.2)))
    geo = index.prefetch(points, segments, own)
    shared = {FenceKind.border_strip, FenceKind.checkpoint_zone}
    kinds_hit: set[str] = set()
    for (lat, lon), mine, seg in zip(points, own, segments, strict=True):
        expected = {f for f in index.at(lat, lon) if index.kind(f) in shared or f in mine}
        assert set(geo.at(lat, lon)) == expected
        assert set(geo.crossed(*seg)) == {f for f in index.crossed(*seg) if index.kind(f) in shared}
        kinds_hit |= {index.kind(f) for f in expected}
    assert kinds_hit == shared | {FenceKind.corridor, FenceKind.sector}  # every kind is hit
