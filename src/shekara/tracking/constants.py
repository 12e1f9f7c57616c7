"""Vocabularies of the tracking domain."""

from __future__ import annotations

from enum import StrEnum


class DeviceKind(StrEnum):
    tracker = "tracker"
    seal = "seal"
    patrol = "patrol"
    uav = "uav"


class TripStatus(StrEnum):
    open = "open"
    closed = "closed"
    cancelled = "cancelled"


class AlertKind(StrEnum):
    corridor_exit = "corridor_exit"
    unauthorised_stop = "unauthorised_stop"
    signal_lost = "signal_lost"
    tamper = "tamper"
    seal_broken = "seal_broken"
    seal_alarm = "seal_alarm"
    battery_low = "battery_low"
    power_cut = "power_cut"
    border_strip = "border_strip"
    sector_exit = "sector_exit"
    sos = "sos"
    gnss_fault = "gnss_fault"


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    critical = "critical"


class AlertStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    assigned = "assigned"
    closed = "closed"


DEVICE_CLASSES: dict[str, tuple[DeviceKind, int]] = {
    "truck_tracker": (DeviceKind.tracker, 60),
    "navigation_seal": (DeviceKind.seal, 60),
    "patrol_unit": (DeviceKind.patrol, 30),
    "uav": (DeviceKind.uav, 10),
}
"""Device classes known out of the box: kind and expected reporting period in seconds.
A device may override the period (``report_period_s``)."""

PROTOCOLS = ("egts", "wialon_ips", "http", "mqtt", "any")
