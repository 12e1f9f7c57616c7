"""Alert rules as pure functions: ``evaluate(state, fix, context, config) -> (state, events)``.

Nothing here reads a database or a clock: the caller passes the device's remembered state,
the fix, what the device is doing (trip, corridor, sector, allowed stops), the geofence index
and the time. The docstrings of the rules are the explanation shown to the duty officer.

Principles (see docs/tracking.md):

* **Dwell and hysteresis.** A geometric condition alerts only after it held for
  ``*_fixes`` consecutive fixes *and* ``*_s`` seconds; it clears only after ``clear_fixes``
  consecutive fixes back inside. Fixes less accurate than ``max_hdop`` or without a valid
  position count for nothing, so GPS jitter along an edge cannot flood the duty officer.
* **Segments, not only points.** When fixes are sparse, the straight segment between two
  consecutive fixes is tested too, so a track cannot jump over a narrow strip unseen.
* **Black-box data is late data.** A fix from the device's memory (or much older than its
  reception, or older than the last one processed) is evaluated on a separate *historic*
  track: what it reveals (a stop while offline, a tamper event) becomes an alert marked
  ``late``, never a live alarm, and it never moves the live state back in time.
* **Edges, not levels.** An alarm flag raises one event when it appears, not one per fix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shekara.telemetry.protocols.fix import Alarm, Fix
from shekara.tracking.constants import AlertKind, DeviceKind, Severity
from shekara.tracking.geofence import FenceKind, GeoQueries, haversine_m


@dataclass(frozen=True)
class RuleConfig:
    """Thresholds of the rules (documented in docs/tracking.md)."""

    corridor_exit_s: float = 120.0
    corridor_exit_fixes: int = 3
    sector_exit_s: float = 120.0
    sector_exit_fixes: int = 3
    strip_s: float = 30.0
    strip_fixes: int = 2
    clear_fixes: int = 2
    max_hdop: float = 6.0
    stop_speed_kmh: float = 3.0
    stop_move_m: float = 150.0
    stop_after_s: float = 900.0
    late_after_s: float = 600.0
    signal_periods: float = 2.0
    battery_low_pct: float = 15.0


@dataclass(frozen=True)
class DeviceContext:
    """What a device is doing now: its trip, corridor, stops, sector."""

    device_id: str
    kind: DeviceKind = DeviceKind.tracker
    report_period_s: float = 60.0
    trip_id: str | None = None
    corridor_fence: str | None = None
    allowed_stops: tuple[tuple[float, float, float], ...] = ()
    """(lat, lon, radius in metres) of the places where the trip may stop."""
    sector_fence: str | None = None
    watch_border: bool = True
    """Alert when entering the border strip away from a checkpoint (trucks and seals)."""


@dataclass(frozen=True)
class AlertEvent:
    kind: AlertKind
    severity: Severity
    fix_time: datetime
    lat: float | None
    lon: float | None
    message: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    late: bool = False
    trip_id: str | None = None


@dataclass(slots=True, unsafe_hash=True)
class Dwell:
    """Hysteresis of one condition: consecutive observations while it holds or not."""

    since: datetime | None = None
    count: int = 0
    alerted: bool = False
    back: int = 0


@dataclass(slots=True, unsafe_hash=True)
class Track:
    """Per-timeline state (one for live fixes, one for historic black-box fixes)."""

    last_time: datetime | None = None
    last_lat: float | None = None
    last_lon: float | None = None
    corridor: Dwell = Dwell()
    sector: Dwell = Dwell()
    strip: Dwell = Dwell()
    stop_since: datetime | None = None
    stop_lat: float | None = None
    stop_lon: float | None = None
    stop_alerted: bool = False
    alarms: frozenset[str] = frozenset()


@dataclass(slots=True, unsafe_hash=True)
class DeviceState:
    live: Track = Track()
    hist: Track = Track()
    trip_id: str | None = None
    last_seen: datetime | None = None
    """Server time of the last live fix."""
    signal_alerted: bool = False
    max_gap_s: float = 0.0
    """Largest silence between live fixes since the trip began (green corridor)."""
    signal_losses: int = 0


# State values: `Dwell`, `Track` and `DeviceState` are never changed in place (the rules return
# new ones, `dataclasses.replace` gives changed copies). They are not frozen dataclasses only
# because a frozen one costs five to ten times more to build (each field is set through
# ``object.__setattr__``) and the rules build a few per fix, tens of thousands a second.


# --- serialisation (the processor stores the state as JSON) ---------------------------------


def _t(value: datetime | None) -> dict[str, str] | None:
    return None if value is None else {"$t": value.isoformat()}


def _dwell_json(d: Dwell) -> dict[str, Any]:
    return {"since": _t(d.since), "count": d.count, "alerted": d.alerted, "back": d.back}


def _track_json(t: Track) -> dict[str, Any]:
    return {
        "last_time": _t(t.last_time),
        "last_lat": t.last_lat,
        "last_lon": t.last_lon,
        "corridor": _dwell_json(t.corridor),
        "sector": _dwell_json(t.sector),
        "strip": _dwell_json(t.strip),
        "stop_since": _t(t.stop_since),
        "stop_lat": t.stop_lat,
        "stop_lon": t.stop_lon,
        "stop_alerted": t.stop_alerted,
        "alarms": sorted(t.alarms),
    }


def state_to_json(state: DeviceState) -> dict[str, Any]:
    return {
        "live": _track_json(state.live),
        "hist": _track_json(state.hist),
        "trip_id": state.trip_id,
        "last_seen": _t(state.last_seen),
        "signal_alerted": state.signal_alerted,
        "max_gap_s": state.max_gap_s,
        "signal_losses": state.signal_losses,
    }


def _dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value["$t"]) if isinstance(value, dict) else None


def _dwell(d: Mapping[str, Any]) -> Dwell:
    return Dwell(
        _dt(d.get("since")), int(d.get("count", 0)), bool(d.get("alerted")), int(d.get("back", 0))
    )


def _track(d: Mapping[str, Any]) -> Track:
    return Track(
        last_time=_dt(d.get("last_time")),
        last_lat=d.get("last_lat"),
        last_lon=d.get("last_lon"),
        corridor=_dwell(d.get("corridor", {})),
        sector=_dwell(d.get("sector", {})),
        strip=_dwell(d.get("strip", {})),
        stop_since=_dt(d.get("stop_since")),
        stop_lat=d.get("stop_lat"),
        stop_lon=d.get("stop_lon"),
        stop_alerted=bool(d.get("stop_alerted")),
        alarms=frozenset(d.get("alarms", ())),
    )


def state_from_json(data: Mapping[str, Any] | None) -> DeviceState:
    if not data:
        return DeviceState()
    return DeviceState(
        live=_track(data.get("live", {})),
        hist=_track(data.get("hist", {})),
        trip_id=data.get("trip_id"),
        last_seen=_dt(data.get("last_seen")),
        signal_alerted=bool(data.get("signal_alerted")),
        max_gap_s=float(data.get("max_gap_s", 0.0)),
        signal_losses=int(data.get("signal_losses", 0)),
    )


# --- the rules ----------------------------------------------------------------------------------


_CLEAR = Dwell()


def dwell_step(
    d: Dwell, holds: bool, t: datetime, need_fixes: int, need_s: float, clear_fixes: int
) -> tuple[Dwell, bool]:
    """One observation of a condition. Returns the new dwell and whether to alert now: the
    condition held for ``need_fixes`` consecutive fixes spanning at least ``need_s`` seconds,
    and was not already alerted since it last cleared. One fix without the condition breaks an
    unconfirmed run; an alerted condition clears only after ``clear_fixes`` fixes without it."""
    if holds:
        since = d.since or t
        count = d.count + 1
        fire = not d.alerted and count >= need_fixes and (t - since).total_seconds() >= need_s
        return Dwell(since, count, d.alerted or fire, 0), fire
    if not d.alerted:
        return _CLEAR, False  # the run is broken before it was confirmed
    back = d.back + 1
    if back >= clear_fixes:
        return _CLEAR, False
    return Dwell(d.since, d.count, d.alerted, back), False


ALARM_RULES: Mapping[Alarm, tuple[AlertKind, Severity, str]] = {
    Alarm.SOS: (AlertKind.sos, Severity.critical, "SOS: alarm button pressed"),
    Alarm.TAMPER: (AlertKind.tamper, Severity.critical, "device case opened"),
    Alarm.POWER_LOST: (AlertKind.power_cut, Severity.warning, "external power cut"),
    Alarm.GNSS_FAULT: (AlertKind.gnss_fault, Severity.warning, "navigation module fault"),
    Alarm.GNSS_ANTENNA: (
        AlertKind.gnss_fault,
        Severity.warning,
        "GNSS antenna fault (cut, shorted or jammed)",
    ),
    Alarm.MOVING_IGNITION_OFF: (
        AlertKind.tamper,
        Severity.warning,
        "moving with the ignition off (towed?)",
    ),
    Alarm.SEAL_BROKEN: (AlertKind.seal_broken, Severity.critical, "seal 01: seal element broken"),
    Alarm.SEAL_HOUSING_BREACHED: (
        AlertKind.seal_broken,
        Severity.critical,
        "seal 02: housing breached",
    ),
    Alarm.SEAL_ROUTE_DEVIATION: (
        AlertKind.seal_alarm,
        Severity.warning,
        "seal 03: route deviation over 50 km",
    ),
    Alarm.SEAL_FAULT: (AlertKind.seal_alarm, Severity.warning, "seal 04: fault"),
    Alarm.SEAL_LOW_BATTERY: (
        AlertKind.battery_low,
        Severity.warning,
        "seal 05: battery below 15 %",
    ),
    Alarm.SEAL_NO_DATA: (
        AlertKind.seal_alarm,
        Severity.warning,
        "seal 06: no data for two reporting periods",
    ),
    Alarm.SEAL_UNAUTHORISED: (
        AlertKind.seal_alarm,
        Severity.critical,
        "seal 07: unauthorised actions",
    ),
}
SEAL_CODES = {
    Alarm.SEAL_BROKEN: "01",
    Alarm.SEAL_HOUSING_BREACHED: "02",
    Alarm.SEAL_ROUTE_DEVIATION: "03",
    Alarm.SEAL_FAULT: "04",
    Alarm.SEAL_LOW_BATTERY: "05",
    Alarm.SEAL_NO_DATA: "06",
    Alarm.SEAL_UNAUTHORISED: "07",
}


def active_alarms(fix: Fix, config: RuleConfig) -> set[str]:
    """Alarm conditions of a fix: decoded alarms, plus a battery level below the threshold
    (``battery_pct``) and a cut external power (``power_v`` of 0 on backup power)."""
    found = {str(a) for a in fix.alarms if a in ALARM_RULES}
    pct = fix.params.get("battery_pct")
    if isinstance(pct, int | float) and not isinstance(pct, bool) and pct < config.battery_low_pct:
        found.add("battery_pct_low")
    if fix.params.get("on_backup_power") and fix.params.get("power_v") in (0, 0.0):
        found.add(str(Alarm.POWER_LOST))
    return found


def _alarm_events(
    track: Track, fix: Fix, config: RuleConfig, late: bool, trip_id: str | None
) -> tuple[Track, list[AlertEvent]]:
    """Tamper, seal codes 01-07, battery, power cut, SOS: one event when an alarm appears."""
    if not fix.alarms and not track.alarms:  # most fixes: `active_alarms` would find nothing
        params = fix.params
        if "battery_pct" not in params and not params.get("on_backup_power"):
            return track, []
    now = active_alarms(fix, config)
    if not now and not track.alarms:
        return track, []
    events = []
    for name in sorted(now - track.alarms):
        if name == "battery_pct_low":
            kind, sev, msg = AlertKind.battery_low, Severity.warning, "battery below threshold"
            detail: dict[str, Any] = {"battery_pct": fix.params.get("battery_pct")}
        else:
            alarm = Alarm(name)
            kind, sev, msg = ALARM_RULES[alarm]
            detail = {"alarm": name}
            if alarm in SEAL_CODES:
                detail["seal_code"] = SEAL_CODES[alarm]
        events.append(
            AlertEvent(kind, sev, fix.fix_time, fix.lat, fix.lon, msg, detail, late, trip_id)
        )
    if frozenset(now) == track.alarms:
        return track, events
    return dataclasses.replace(track, alarms=frozenset(now)), events


def _usable(fix: Fix, config: RuleConfig) -> bool:
    return (
        fix.valid
        and fix.lat is not None
        and fix.lon is not None
        and (fix.hdop is None or fix.hdop <= config.max_hdop)
    )


_NO_KINDS: frozenset[str] = frozenset()


def _geometric(
    track: Track,
    fix: Fix,
    ctx: DeviceContext,
    geo: GeoQueries,
    config: RuleConfig,
    late: bool,
) -> tuple[Track, list[AlertEvent]]:
    assert fix.lat is not None and fix.lon is not None
    lat, lon, t = fix.lat, fix.lon, fix.fix_time
    events: list[AlertEvent] = []
    here = geo.at(lat, lon)
    prev = (
        (track.last_lat, track.last_lon)
        if track.last_lat is not None and track.last_lon is not None
        else None
    )
    gap_s = (t - track.last_time).total_seconds() if track.last_time else 0.0

    def event(kind: AlertKind, sev: Severity, msg: str, **detail: Any) -> None:
        events.append(AlertEvent(kind, sev, t, lat, lon, msg, detail, late, ctx.trip_id))

    # Corridor: outside the declared route's buffer, with dwell; or a long unseen excursion.
    corridor = track.corridor
    if ctx.corridor_fence is not None and ctx.corridor_fence in geo.fences:
        inside = ctx.corridor_fence in here
        jumped = (
            inside
            and prev is not None
            and gap_s >= config.corridor_exit_s
            and not geo.segment_within(ctx.corridor_fence, prev[0], prev[1], lat, lon)
        )
        corridor, fire = dwell_step(
            corridor,
            not inside,
            t,
            config.corridor_exit_fixes,
            config.corridor_exit_s,
            config.clear_fixes,
        )
        if fire:
            event(
                AlertKind.corridor_exit,
                Severity.critical,
                "left the declared corridor",
                outside_since=(corridor.since or t).isoformat(),
                fixes=corridor.count,
            )
        elif jumped and not corridor.alerted:
            event(
                AlertKind.corridor_exit,
                Severity.warning,
                "route between two sparse fixes leaves the corridor",
                via="segment",
                gap_s=gap_s,
            )

    # Patrol / UAV sector.
    sector = track.sector
    if ctx.sector_fence is not None and ctx.sector_fence in geo.fences:
        inside = ctx.sector_fence in here
        sector, fire = dwell_step(
            sector,
            not inside,
            t,
            config.sector_exit_fixes,
            config.sector_exit_s,
            config.clear_fixes,
        )
        if fire:
            event(
                AlertKind.sector_exit,
                Severity.warning,
                "left the assigned sector",
                outside_since=(sector.since or t).isoformat(),
            )

    # Border strip away from a checkpoint (trucks and seals), point with dwell or segment.
    strip = track.strip
    if ctx.watch_border:
        kinds = {geo.kind(f) for f in here} if here else _NO_KINDS
        at_checkpoint = FenceKind.checkpoint_zone in kinds
        in_strip = FenceKind.border_strip in kinds and not at_checkpoint
        crossed = False
        if not in_strip and prev is not None and not at_checkpoint:
            touched = geo.crossed(prev[0], prev[1], lat, lon)
            if touched:
                tk = {geo.kind(f) for f in touched}
                crossed = FenceKind.border_strip in tk and FenceKind.checkpoint_zone not in tk
        strip, fire = dwell_step(
            strip, in_strip, t, config.strip_fixes, config.strip_s, config.clear_fixes
        )
        if fire:
            event(
                AlertKind.border_strip,
                Severity.critical,
                "in the border strip away from a checkpoint",
            )
        elif crossed and not strip.alerted:
            event(
                AlertKind.border_strip,
                Severity.critical,
                "crossed the border strip between two fixes, away from a checkpoint",
                via="segment",
                gap_s=gap_s,
            )

    # Unauthorised stop (trips only): standing still for long outside allowed places.
    stop_since, stop_lat, stop_lon, stop_alerted = (
        track.stop_since,
        track.stop_lat,
        track.stop_lon,
        track.stop_alerted,
    )
    if ctx.trip_id is not None:
        slow = fix.speed_kmh is not None and fix.speed_kmh <= config.stop_speed_kmh
        moved = (
            stop_lat is not None
            and stop_lon is not None
            and haversine_m(stop_lat, stop_lon, lat, lon) > config.stop_move_m
        )
        if not slow or moved:
            stop_since, stop_lat, stop_lon, stop_alerted = None, None, None, False
            if slow:
                stop_since, stop_lat, stop_lon = t, lat, lon
        elif stop_since is None:
            stop_since, stop_lat, stop_lon = t, lat, lon
        if (
            stop_since is not None
            and not stop_alerted
            and (t - stop_since).total_seconds() >= config.stop_after_s
        ):
            allowed = any(
                haversine_m(s_lat, s_lon, lat, lon) <= radius
                for s_lat, s_lon, radius in ctx.allowed_stops
            ) or FenceKind.checkpoint_zone in {geo.kind(f) for f in here}
            if not allowed:
                stop_alerted = True
                event(
                    AlertKind.unauthorised_stop,
                    Severity.warning,
                    "stopped outside the allowed places",
                    stopped_since=stop_since.isoformat(),
                    minutes=round((t - stop_since).total_seconds() / 60),
                )
    new = Track(
        alarms=track.alarms,
        last_time=t,
        last_lat=lat,
        last_lon=lon,
        corridor=corridor,
        sector=sector,
        strip=strip,
        stop_since=stop_since,
        stop_lat=stop_lat,
        stop_lon=stop_lon,
        stop_alerted=stop_alerted,
    )
    return new, events


def is_late(state: DeviceState, fix: Fix, now: datetime, config: RuleConfig) -> bool:
    """Historic data: from the black box, much older than now, or older than the last live
    fix already processed (out of order)."""
    if fix.blackbox:
        return True
    if (now - fix.fix_time).total_seconds() > config.late_after_s:
        return True
    return state.live.last_time is not None and fix.fix_time <= state.live.last_time


def evaluate(
    state: DeviceState,
    fix: Fix,
    ctx: DeviceContext,
    geo: GeoQueries,
    now: datetime,
    config: RuleConfig = RuleConfig(),
) -> tuple[DeviceState, list[AlertEvent]]:
    """Every rule for one fix of one device (fixes of a device in fix-time order)."""
    if state.trip_id != ctx.trip_id:  # a new trip starts with a clean health record
        state = DeviceState(live=state.live, last_seen=state.last_seen, trip_id=ctx.trip_id)
    late = is_late(state, fix, now, config)
    track = state.hist if late else state.live
    if late and track.last_time is not None and fix.fix_time <= track.last_time:
        track = Track()  # a new black-box upload: its own timeline
    track, events = _alarm_events(track, fix, config, late, ctx.trip_id)
    if _usable(fix, config):
        track, more = _geometric(track, fix, ctx, geo, config, late)
        events.extend(more)
    else:
        track = dataclasses.replace(track, last_time=fix.fix_time)
    if late:
        return dataclasses.replace(state, hist=track), events
    seen = fix.received_at or now
    max_gap = state.max_gap_s
    if state.live.last_time is not None:
        max_gap = max(max_gap, (fix.fix_time - state.live.last_time).total_seconds())
    new_state = DeviceState(
        live=track,
        hist=state.hist,
        trip_id=state.trip_id,
        last_seen=seen,
        signal_alerted=False,
        max_gap_s=max_gap,
        signal_losses=state.signal_losses,
    )
    return new_state, events


def sweep(
    state: DeviceState, ctx: DeviceContext, now: datetime, config: RuleConfig = RuleConfig()
) -> tuple[DeviceState, list[AlertEvent]]:
    """Signal lost: no live fix for ``signal_periods`` expected reporting periods of the
    device's class (run every few seconds). Seals report it as code 06."""
    if state.last_seen is None or state.signal_alerted:
        return state, []
    silent = (now - state.last_seen).total_seconds()
    if silent < config.signal_periods * ctx.report_period_s:
        return state, []
    detail: dict[str, Any] = {
        "silent_s": round(silent),
        "report_period_s": ctx.report_period_s,
        "last_seen": state.last_seen.isoformat(),
    }
    if ctx.kind == DeviceKind.seal:
        detail["seal_code"] = "06"
    event = AlertEvent(
        AlertKind.signal_lost,
        Severity.warning if ctx.kind != DeviceKind.seal else Severity.critical,
        state.live.last_time or state.last_seen,
        state.live.last_lat,
        state.live.last_lon,
        f"no fix for {round(silent)} s ({config.signal_periods:g} reporting periods)",
        detail,
        False,
        ctx.trip_id,
    )
    new = dataclasses.replace(
        state,
        signal_alerted=True,
        signal_losses=state.signal_losses + 1,
        max_gap_s=max(state.max_gap_s, silent),
    )
    return new, [event]


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: tuple[str, ...]


ScreeningHook = Callable[[], bool]


def green_corridor(
    state: DeviceState,
    ctx: DeviceContext,
    open_alert_kinds: Iterable[str],
    screening: ScreeningHook = lambda: True,
    config: RuleConfig = RuleConfig(),
) -> Eligibility:
    """Green corridor: the truck's tracker reported for the whole trip with no silence longer
    than two reporting periods, no alert of the trip is open, and screening raised nothing."""
    reasons = []
    limit = config.signal_periods * ctx.report_period_s
    if state.live.last_time is None:
        reasons.append("no fix received during the trip")
    if state.max_gap_s > limit or state.signal_losses:
        reasons.append(f"tracker silent for {round(state.max_gap_s)} s (limit {round(limit)} s)")
    kinds = sorted(set(open_alert_kinds))
    if kinds:
        reasons.append("open alerts: " + ", ".join(kinds))
    if not screening():
        reasons.append("screening stopped the vehicle")
    return Eligibility(not reasons, tuple(reasons))
