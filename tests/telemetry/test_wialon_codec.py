"""Wialon IPS frames written from the 1.1 and 2.0 specifications, with the prescribed answers.

CRCs are computed here with a bit-by-bit CRC-16/ARC, independently of the code under test.
"""

from datetime import UTC, datetime

import pytest

from shekara.telemetry.protocols.errors import ProtocolError
from shekara.telemetry.protocols.fix import Alarm
from shekara.telemetry.protocols.wialon import (
    compress_frame,
    decode_frame,
    login_answer,
    parse_udp_datagram,
    split_frame,
)

NOW = datetime(2026, 3, 22, 21, 0, 0, tzinfo=UTC)
IMEI = "356307042441013"
SD_BODY = "220326;201500;5544.6025;N;03739.6834;E;12;200;150;9"
D_BODY = SD_BODY + ";0.9;5;1;1.5,2.25;AB12;SOS:1:1,fuel:2:45.8,hw:3:V4.5"


def arc(data: str) -> str:
    crc = 0
    for byte in data.encode():
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return f"{crc:04X}"


def v2(kind: str, body: str, sep: str = ";") -> bytes:
    covered = body + sep
    return f"#{kind}#{covered}{arc(covered)}".encode()


def dec(frame: bytes | str, version: str = "1.1"):  # type: ignore[no-untyped-def]
    if isinstance(frame, str):
        frame = frame.encode()
    return decode_frame(frame, version=version, device_id="dev", received_at=NOW)


def test_login_1_1() -> None:
    result = dec(f"#L#{IMEI};secret")
    assert result.login is not None
    assert (result.login.version, result.login.imei, result.login.password) == (
        "1.1",
        IMEI,
        "secret",
    )
    assert result.answer == b""  # the gateway answers after authentication
    assert login_answer(True) == b"#AL#1\r\n"
    assert login_answer(False) == b"#AL#0\r\n"


def test_login_2_0_with_crc_and_na_password() -> None:
    result = dec(v2("L", f"2.0;{IMEI};NA"))
    assert result.login is not None
    assert (result.login.version, result.login.password) == ("2.0", None)


def test_login_2_0_bad_crc_answers_al_10() -> None:
    frame = f"#L#2.0;{IMEI};NA;0000".encode()
    assert dec(frame).answer == b"#AL#10\r\n"


def test_login_with_bad_structure_answers_al_0() -> None:
    assert dec("#L#only-one-field").answer == b"#AL#0\r\n"


def test_short_data_1_1() -> None:
    result = dec("#SD#" + SD_BODY)
    assert result.answer == b"#ASD#1\r\n"
    [fix] = result.fixes
    assert fix.fix_time == datetime(2026, 3, 22, 20, 15, 0, tzinfo=UTC)
    assert fix.lat == pytest.approx(55 + 44.6025 / 60)
    assert fix.lon == pytest.approx(37 + 39.6834 / 60)
    assert (fix.speed_kmh, fix.course_deg, fix.altitude_m, fix.satellites) == (12, 200, 150, 9)
    assert fix.valid and not fix.blackbox
    assert fix.received_at == NOW
    assert fix.device_id == "dev"
    assert fix.protocol == "wialon_ips"


def test_southern_and_western_hemispheres() -> None:
    [fix] = dec("#SD#220326;201500;3351.1234;S;07037.5000;W;0;0;0;4").fixes
    assert fix.lat == pytest.approx(-(33 + 51.1234 / 60))
    assert fix.lon == pytest.approx(-(70 + 37.5 / 60))


def test_all_na_uses_server_time_and_is_invalid() -> None:
    result = dec("#SD#NA;NA;NA;NA;NA;NA;NA;NA;NA;NA")
    assert result.answer == b"#ASD#1\r\n"
    [fix] = result.fixes
    assert fix.fix_time == NOW
    assert fix.lat is None and fix.lon is None and fix.speed_kmh is None
    assert fix.valid is False


def test_satellite_count_alone_does_not_decide_validity() -> None:
    [fix] = dec("#SD#220326;201500;5544.6025;N;03739.6834;E;0;0;0;0").fixes
    assert fix.valid is True


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("220326;201500;5544.6025;N;03739.6834;E;12;200;150", "-1"),  # 9 fields
        ("320326;201500;5544.6025;N;03739.6834;E;12;200;150;9", "0"),  # 32nd day
        ("220326;2015;5544.6025;N;03739.6834;E;12;200;150;9", "0"),
        ("22032²;201500;5544.6025;N;03739.6834;E;12;200;150;9", "0"),  # non-ASCII digit
        ("220326;201500.²;5544.6025;N;03739.6834;E;12;200;150;9", "0"),
        ("220326;201500;5²44.6025;N;03739.6834;E;12;200;150;9", "10"),
        ("220326;201500;55x4.6025;N;03739.6834;E;12;200;150;9", "10"),
        ("220326;201500;5544.6025;X;03739.6834;E;12;200;150;9", "10"),
        ("220326;201500;5574.6025;N;03739.6834;E;12;200;150;9", "10"),  # 74 minutes
        ("220326;201500;5544.6025;N;03739.6834;E;fast;200;150;9", "11"),
        ("220326;201500;5544.6025;N;03739.6834;E;12;200;high;9", "11"),
        ("220326;201500;5544.6025;N;03739.6834;E;12;200;150;many", "12"),
    ],
)
def test_short_data_error_answers(body: str, code: str) -> None:
    result = dec("#SD#" + body)
    assert result.answer == f"#ASD#{code}\r\n".encode()
    assert result.fixes == () and not result.ok


def test_short_data_2_0_crc() -> None:
    assert dec(v2("SD", SD_BODY), "2.0").answer == b"#ASD#1\r\n"
    bad = ("#SD#" + SD_BODY + ";" + "0000").encode()
    assert dec(bad, "2.0").answer == b"#ASD#13\r\n"


def test_crc_is_parsed_leniently() -> None:
    crc = arc(SD_BODY + ";")
    for text in (crc.lower(), "0x" + crc):
        assert dec(f"#SD#{SD_BODY};{text}", "2.0").answer == b"#ASD#1\r\n"


def test_extended_data() -> None:
    result = dec("#D#" + D_BODY)
    assert result.answer == b"#AD#1\r\n"
    [fix] = result.fixes
    assert fix.hdop == 0.9
    assert fix.params == {
        "inputs": 5,
        "outputs": 1,
        "adc1": 1.5,
        "adc2": 2.25,
        "ibutton": "AB12",
        "SOS": 1,
        "fuel": 45.8,
        "hw": "V4.5",
    }
    assert fix.alarms == {Alarm.SOS}


def test_extended_data_2_0_and_seal_alarm() -> None:
    body = SD_BODY + ";NA;NA;NA;NA;NA;seal_alarm:1:2"
    result = dec(v2("D", body), "2.0")
    assert result.answer == b"#AD#1\r\n"
    assert result.fixes[0].alarms == {Alarm.SEAL_HOUSING_BREACHED}
    assert dec(("#D#" + body + ";FFFF").encode(), "2.0").answer == b"#AD#16\r\n"


@pytest.mark.parametrize(
    ("tail", "code"),
    [
        ("x;5;1;NA;NA;NA", "12"),
        ("0.9;five;1;NA;NA;NA", "13"),
        ("0.9;5;1;1.5,volts;NA;NA", "14"),
        ("0.9;5;1;NA;NA;fuel:9:1", "15"),
        ("0.9;5;1;NA;NA;fuel", "15"),
        ("0.9;5;1;NA;NA;count:1:abc", "15"),
    ],
)
def test_extended_data_error_answers(tail: str, code: str) -> None:
    assert dec(f"#D#{SD_BODY};{tail}").answer == f"#AD#{code}\r\n".encode()


def test_blackbox_1_1_answers_the_number_registered() -> None:
    body = "|".join([SD_BODY, D_BODY, "garbage;1;2"])
    result = dec("#B#" + body)
    assert result.answer == b"#AB#2\r\n"  # registered, not received (3)
    assert len(result.fixes) == 2
    assert all(f.blackbox for f in result.fixes)


def test_blackbox_2_0_crc() -> None:
    body = "|".join([SD_BODY, SD_BODY, SD_BODY])
    result = dec(v2("B", body, "|"), "2.0")
    assert result.answer == b"#AB#3\r\n"
    assert len(result.fixes) == 3
    bad = ("#B#" + body + "|0000").encode()
    result = dec(bad, "2.0")
    assert result.answer == b"#AB#\r\n"  # empty answer: CRC error
    assert result.fixes == ()


def test_ping_and_message() -> None:
    assert dec("#P#").answer == b"#AP#\r\n"
    result = dec("#M#hello")
    assert (result.answer, result.message) == (b"#AM#1\r\n", "hello")
    assert dec(v2("M", "hello"), "2.0").answer == b"#AM#1\r\n"


def test_garbage_and_unknown_types_get_no_answer() -> None:
    for frame in ("GET / HTTP/1.1", "#", "##", "#XYZ#1;2"):
        result = dec(frame)
        assert not result.ok and result.answer == b""


def test_split_frame_partial_and_coalesced() -> None:
    stream = b"#P#\r\n#SD#" + SD_BODY.encode() + b"\r\n#P"
    frame, used = split_frame(stream)
    assert (frame, used) == (b"#P#", 5)
    frame, used2 = split_frame(stream[used:])
    assert frame == b"#SD#" + SD_BODY.encode()
    assert split_frame(stream[used + used2 :]) == (None, 0)


def test_split_frame_limits_and_compression() -> None:
    with pytest.raises(ProtocolError):
        split_frame(b"#D#" + b"1" * 100, max_frame=50)
    packed = compress_frame(b"#SD#" + SD_BODY.encode() + b"\r\n")
    assert packed[0] == 0xFF
    assert int.from_bytes(packed[1:3], "little") == len(packed) - 3
    assert split_frame(packed[:-1]) == (None, 0)
    assert split_frame(packed + b"#P#\r\n") == (b"#SD#" + SD_BODY.encode(), len(packed))
    with pytest.raises(ProtocolError):
        split_frame(b"\xff\x03\x00abc")


def test_udp_datagrams() -> None:
    frame = v2("SD", SD_BODY)
    [(version, imei, got)] = parse_udp_datagram(f"2.0;{IMEI}".encode() + frame + b"\r\n")
    assert (version, imei, got) == ("2.0", IMEI, frame)
    [(version, imei, got)] = parse_udp_datagram(f"{IMEI}#P#\r\n".encode())
    assert (version, imei, got) == ("1.1", IMEI, b"#P#")
    with pytest.raises(ProtocolError):
        parse_udp_datagram(b"#SD#1;2\r\n")


def test_udp_crc_may_cover_the_prefix() -> None:
    prefix = f"2.0;{IMEI}"
    covered = SD_BODY + ";"
    crc = arc(f"{prefix}#SD#{covered}")
    frame = f"#SD#{covered}{crc}".encode()
    result = decode_frame(frame, version="2.0", received_at=NOW, crc_prefix=prefix.encode())
    assert result.answer == b"#ASD#1\r\n"
