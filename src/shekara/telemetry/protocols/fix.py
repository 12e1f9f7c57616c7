"""The common record every tracker protocol decodes to.

A `Fix` is one position report as the device sent it: invalid fixes (no satellite solution) and
black-box fixes (stored while the device was offline and uploaded later) are kept, because they
are evidence of signal loss, jamming or a stop that happened while the link was down.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

ParamValue = int | float | str | bool


class Alarm(StrEnum):
    """Alarm conditions a fix can carry, whatever protocol reported them."""

    SOS = "sos"
    """Alarm (panic) button pressed (EGTS SRC 13, Wialon `SOS:1:1`)."""
    TAMPER = "tamper"
    """Device case opened (EGTS SRC 10)."""
    POWER_LOST = "power_lost"
    """External power lost, running on backup power (EGTS SRC 11)."""
    GNSS_FAULT = "gnss_fault"
    """Navigation module fault (EGTS SRC 22)."""
    GNSS_ANTENNA = "gnss_antenna"
    """GNSS antenna fault: cut or shorted (EGTS SRC 25)."""
    MOVING_IGNITION_OFF = "moving_ignition_off"
    """Moving with the ignition off (EGTS SRC 28): towing or a loaded ferry."""
    SEAL_BROKEN = "seal_broken"
    """Electronic navigation seal alarm 01: seal element (cable, rod) broken."""
    SEAL_HOUSING_BREACHED = "seal_housing_breached"
    """Electronic navigation seal alarm 02: housing breached."""
    SEAL_ROUTE_DEVIATION = "seal_route_deviation"
    """Electronic navigation seal alarm 03: route deviation over 50 km."""
    SEAL_FAULT = "seal_fault"
    """Electronic navigation seal alarm 04: fault."""
    SEAL_LOW_BATTERY = "seal_low_battery"
    """Electronic navigation seal alarm 05: battery below 15 %."""
    SEAL_NO_DATA = "seal_no_data"
    """Electronic navigation seal alarm 06: no data for two consecutive reporting periods."""
    SEAL_UNAUTHORISED = "seal_unauthorised"
    """Electronic navigation seal alarm 07: unauthorised actions."""


SEAL_ALARM_CODES: Mapping[int, Alarm] = {
    1: Alarm.SEAL_BROKEN,
    2: Alarm.SEAL_HOUSING_BREACHED,
    3: Alarm.SEAL_ROUTE_DEVIATION,
    4: Alarm.SEAL_FAULT,
    5: Alarm.SEAL_LOW_BATTERY,
    6: Alarm.SEAL_NO_DATA,
    7: Alarm.SEAL_UNAUTHORISED,
}
"""Customs-union electronic navigation seal alarm codes (see shared/domain.md)."""


@dataclass(slots=True, unsafe_hash=True)
class Fix:
    """One position report, as decoded from any tracker protocol. A value: never changed in
    place (`with_device` and `dataclasses.replace` give a changed copy). It is not a frozen
    dataclass only because building one costs ten times more (each field set through
    ``object.__setattr__``), and a tracking server builds tens of thousands a second.

    `fix_time` is the device's time of the position (UTC); `received_at` the server's time of
    reception. `valid` is the device's own validity flag (EGTS VLD; for Wialon IPS, coordinates
    present), never inferred from the satellite count. `blackbox` marks historic data read from
    the device's memory (EGTS BB flag, Wialon `#B#` packets).

    `params` holds every other value the device sent, under stable names: `inputs`, `outputs`
    (bit masks), `power_v`, `battery_v`, `odometer_km`, `event_code` (EGTS SRC), `adc1`…,
    device-defined Wialon parameters under their own names. `alarms` is derived from them.
    """

    device_id: str
    fix_time: datetime
    lat: float | None
    lon: float | None
    valid: bool
    speed_kmh: float | None = None
    course_deg: float | None = None
    altitude_m: float | None = None
    satellites: int | None = None
    hdop: float | None = None
    blackbox: bool = False
    received_at: datetime | None = None
    protocol: str = ""
    alarms: frozenset[Alarm] = frozenset()
    params: Mapping[str, ParamValue] = field(default_factory=dict)

    def with_device(self, device_id: str) -> Fix:
        """The same fix attributed to another device id (after authentication)."""
        if device_id == self.device_id:
            return self
        return dataclasses.replace(self, device_id=device_id)
