"""Tracker protocol codecs: pure functions from bytes to `Fix` records and acknowledgements."""

from shekara.telemetry.protocols.errors import ProtocolError
from shekara.telemetry.protocols.fix import SEAL_ALARM_CODES, Alarm, Fix, ParamValue

__all__ = ["SEAL_ALARM_CODES", "Alarm", "Fix", "ParamValue", "ProtocolError"]
