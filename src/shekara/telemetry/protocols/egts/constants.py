"""EGTS constants (GOST R 54619-2011, GOST 33472-2015)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum
from typing import Final

from shekara.telemetry.protocols.fix import Alarm

PRV: Final = 0x01
"""Protocol version this codec speaks."""

HL_PLAIN: Final = 11
HL_ROUTED: Final = 16
MAX_FDL: Final = 65517
HEADER_PREFIX_LEN: Final = 10
"""Bytes of the header before the optional routing fields and the HCS."""

EPOCH: Final = datetime(2010, 1, 1, tzinfo=UTC)
EPOCH_UNIX: Final = 1262304000
"""Seconds from 1970-01-01 to 2010-01-01 UTC, the EGTS time origin."""

LAT_SCALE: Final = 0xFFFFFFFF / 90.0
LON_SCALE: Final = 0xFFFFFFFF / 180.0


class PacketType(IntEnum):
    RESPONSE = 0
    APPDATA = 1
    SIGNED_APPDATA = 2


class Service(IntEnum):
    AUTH = 1
    TELEDATA = 2
    COMMANDS = 4
    FIRMWARE = 9
    ECALL = 10


class Subrecord(IntEnum):
    RECORD_RESPONSE = 0
    # AUTH service
    TERM_IDENTITY = 1
    MODULE_DATA = 2
    VEHICLE_DATA = 3
    AUTH_PARAMS = 6
    AUTH_INFO = 7
    SERVICE_INFO = 8
    RESULT_CODE = 9
    # TELEDATA service
    POS_DATA = 16
    EXT_POS_DATA = 17
    AD_SENSORS_DATA = 18
    COUNTERS_DATA = 19
    STATE_DATA = 20
    LOOPIN_DATA = 22
    ABS_DIG_SENS_DATA = 23
    ABS_AN_SENS_DATA = 24
    ABS_CNTR_DATA = 25


class Result(IntEnum):
    """Processing result codes (PR, RST, RCD), GOST R 54619-2011 appendix."""

    OK = 0
    IN_PROGRESS = 1
    UNS_PROTOCOL = 128
    DECRYPT_ERROR = 129
    PROC_DENIED = 130
    INC_HEADERFORM = 131
    INC_DATAFORM = 132
    UNS_TYPE = 133
    NOTEN_PARAMS = 134
    DBL_PROC = 135
    PROC_SRC_DENIED = 136
    HEADERCRC_ERROR = 137
    DATACRC_ERROR = 138
    INVDATALEN = 139
    ROUTE_NFOUND = 140
    ROUTE_CLOSED = 141
    ROUTE_DENIED = 142
    INVADDR = 143
    TTLEXPIRED = 144
    NO_ACK = 145
    OBJ_NFOUND = 146
    EVNT_NFOUND = 147
    SRVC_NFOUND = 148
    SRVC_DENIED = 149
    SRVC_UNKN = 150
    AUTH_DENIED = 151
    ALREADY_EXISTS = 152
    ID_NFOUND = 153
    INC_DATETIME = 154
    IO_ERROR = 155
    NO_RES_AVAIL = 156
    MODULE_FAULT = 157


# Record flags (RFL)
RFL_SSOD: Final = 0x80
RFL_RSOD: Final = 0x40
RFL_GRP: Final = 0x20
RFL_TMFE: Final = 0x04
RFL_EVFE: Final = 0x02
RFL_OBFE: Final = 0x01

# POS_DATA flags (FLG)
POS_VLD: Final = 0x01
POS_FIX: Final = 0x02
POS_CS: Final = 0x04
POS_BB: Final = 0x08
POS_MV: Final = 0x10
POS_LAHS: Final = 0x20
POS_LOHS: Final = 0x40
POS_ALTE: Final = 0x80
# POS_DATA SPD word
SPD_MASK: Final = 0x3FFF
SPD_ALTS: Final = 0x4000
SPD_DIRH: Final = 0x8000

SRC_ALARMS: Final[dict[int, Alarm]] = {
    10: Alarm.TAMPER,
    11: Alarm.POWER_LOST,
    13: Alarm.SOS,
    22: Alarm.GNSS_FAULT,
    25: Alarm.GNSS_ANTENNA,
    28: Alarm.MOVING_IGNITION_OFF,
}
"""Event source codes (GOST 33472 table Б.3) that raise an alarm on the fix."""

KNOWN_SERVICES: Final = frozenset(int(s) for s in Service)
