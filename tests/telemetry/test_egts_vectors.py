"""EGTS packets written byte by byte from GOST R 54619-2011 / GOST 33472-2015.

The checksums are computed here with bit-by-bit implementations of the GOST definitions, not
with the code under test.
"""

from datetime import UTC, datetime

import pytest

from shekara.telemetry.protocols.egts import PacketType, Result, decode, encode_result_code
from shekara.telemetry.protocols.fix import Alarm


def crc8(data: bytes) -> int:
    crc = 0xFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (((crc << 1) ^ 0x31) if crc & 0x80 else crc << 1) & 0xFF
    return crc


def crc16(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = (((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc


def packet(header10: bytes, sfrd: bytes) -> bytes:
    """Header fields (HL = 11), HCS, SFRD, SFRCS (little-endian)."""
    assert len(header10) == 10
    out = header10 + bytes([crc8(header10)]) + sfrd
    if sfrd:
        out += crc16(sfrd).to_bytes(2, "little")
    return out


def appdata_header(fdl: int, pid: int) -> bytes:
    """PRV 1, SKID 0, flags 0, HL 11, HE 0, FDL, PID, PT APPDATA."""
    return (
        bytes.fromhex("0100000b00")
        + fdl.to_bytes(2, "little")
        + (pid.to_bytes(2, "little") + b"\x01")
    )


POS_RECORD = bytes.fromhex(
    "1b00"  # RL = 27: length of the record data (one subrecord of 3 + 24 bytes)
    "0201"  # RN = 0x0102
    "01"  # RFL: OBFE (object id follows)
    "e9030000"  # OID = 1001
    "02"  # SST = 2 (TELEDATA)
    "02"  # RST = 2
    "10"  # SRT = 16 (EGTS_SR_POS_DATA)
    "1800"  # SRL = 24 (21 fixed bytes + 3 bytes of ALT)
    "c0f3f41a"  # NTM = 0x1AF4F3C0 = 452260800 s after 2010-01-01 = 2024-05-01 12:00:00 UTC
    "3ee9939e"  # LAT = 0x9E93E93E -> *90/0xFFFFFFFF = 55.75 degrees
    "02be7935"  # LONG = 0x3579BE02 -> *180/0xFFFFFFFF = 37.6 degrees
    "db"  # FLG = VLD|FIX|BB|MV|LOHS|ALTE = 0x01|0x02|0x08|0x10|0x40|0x80: west, black box
    "d087"  # SPD = 0x87D0: speed 0x07D0 = 2000 -> 200.0 km/h, bit15 DIRH, ALTS clear
    "2c"  # DIR = 0x2C = 44, + 256 (DIRH) = heading 300
    "d20400"  # ODM = 1234 -> 123.4 km
    "05"  # DIN = 0b101
    "0d"  # SRC = 13: alarm button
    "2c0100"  # ALT = 300 m (positive: ALTS clear)
)
SUB_AT = 11  # RL RN RFL OID SST RST: the POS_DATA subrecord starts here
FLG_AT = SUB_AT + 3 + 12  # SRT SRL, then NTM LAT LONG: the FLG byte
POS_HEADER = bytes.fromhex(
    "01"  # PRV
    "00"  # SKID
    "03"  # flags: PRF 00, RTE 0, ENA 00, CMP 0, PR = 3
    "0b"  # HL = 11
    "00"  # HE
    "2600"  # FDL = 38 = len(POS_RECORD)
    "3412"  # PID = 0x1234
    "01"  # PT = 1 (APPDATA)
)
POS_PACKET = packet(POS_HEADER, POS_RECORD)


def test_pos_data_packet_decodes_to_one_fix() -> None:
    assert len(POS_RECORD) == 38
    received = datetime(2024, 5, 1, 12, 0, 5, tzinfo=UTC)
    result = decode(POS_PACKET, device_id="truck-7", received_at=received)
    assert result.consumed == len(POS_PACKET)
    assert result.result == Result.OK
    assert result.pid == 0x1234
    assert result.packet_type == PacketType.APPDATA
    [fix] = result.fixes
    assert fix.device_id == "truck-7"
    assert fix.fix_time == datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert fix.received_at == received
    assert fix.lat == pytest.approx(0x9E93E93E * 90 / 0xFFFFFFFF, abs=1e-9)
    assert fix.lat == pytest.approx(55.75, abs=1e-6)
    assert fix.lon == pytest.approx(-0x3579BE02 * 180 / 0xFFFFFFFF, abs=1e-9)
    assert fix.speed_kmh == 200.0
    assert fix.course_deg == 300.0  # not 172 (DIR | 0x80)
    assert fix.altitude_m == 300.0
    assert fix.valid is True
    assert fix.blackbox is True
    assert fix.params["moving"] is True
    assert fix.params["fix3d"] is True
    assert fix.params["pz90"] is False
    assert fix.params["odometer_km"] == 123.4
    assert fix.params["inputs"] == 5
    assert fix.params["event_code"] == 13
    assert fix.params["oid"] == 1001
    assert fix.alarms == {Alarm.SOS}
    assert fix.protocol == "egts"


def test_response_confirms_the_packet_and_each_record() -> None:
    result = decode(POS_PACKET)
    sfrd = bytes.fromhex(
        "3412"  # RPID = the PID received, same byte order
        "00"  # PR = EGTS_PC_OK
        "0600"  # RL = 6
        "0000"  # RN = 0 (the server's own counter)
        "40"  # RFL: RSOD (recipient service on the terminal)
        "02"  # SST = TELEDATA
        "02"  # RST = TELEDATA
        "00"  # SRT = 0 (EGTS_SR_RECORD_RESPONSE)
        "0300"  # SRL = 3
        "0201"  # CRN = 0x0102, the RN confirmed
        "00"  # RST = EGTS_PC_OK
    )
    header = bytes.fromhex("0100030b001000070000")  # PID 7, PT RESPONSE
    assert result.needs_response
    assert result.response(pid=7, first_rn=0) == packet(header, sfrd)


def test_speed_word_worked_example_and_negative_altitude() -> None:
    # Same record with FLG = VLD|ALTE (north, east, live), SPD with ALTS set
    record = bytearray(POS_RECORD)
    record[FLG_AT] = 0x81  # FLG
    record[FLG_AT + 1 : FLG_AT + 3] = bytes.fromhex("d0c7")  # 0xC7D0: DIRH|ALTS|2000
    pkt = packet(POS_HEADER, bytes(record))
    [fix] = decode(pkt).fixes
    assert fix.altitude_m == -300.0
    assert fix.course_deg == 300.0
    assert fix.speed_kmh == 200.0
    assert fix.lon is not None and fix.lon > 0
    assert fix.blackbox is False


def test_invalid_fix_is_kept() -> None:
    record = bytearray(POS_RECORD)
    record[FLG_AT] = 0x80  # FLG: VLD clear, ALTE
    [fix] = decode(packet(POS_HEADER, bytes(record))).fixes
    assert fix.valid is False


def test_partial_packet_needs_more() -> None:
    for cut in range(len(POS_PACKET)):
        result = decode(POS_PACKET[:cut])
        assert result.need_more, cut
        assert result.consumed == 0


def test_two_coalesced_packets_decode_one_at_a_time() -> None:
    stream = POS_PACKET + POS_PACKET
    first = decode(stream)
    assert first.consumed == len(POS_PACKET)
    second = decode(stream[first.consumed :])
    assert second.consumed == len(POS_PACKET)
    assert len(first.fixes) == len(second.fixes) == 1


def test_header_crc_error_is_fatal_with_code_137() -> None:
    bad = bytearray(POS_PACKET)
    bad[10] ^= 0xFF  # HCS
    result = decode(bytes(bad))
    assert result.fatal
    assert result.result == 137  # HEADERCRC_ERROR
    assert result.pid == 0x1234
    response = result.response(pid=1, first_rn=0)
    # RPID 0x1234 and PR 137, no records
    assert response[11:14] == bytes.fromhex("341289")
    assert len(response) == 11 + 3 + 2


def test_data_crc_error_skips_the_packet_with_code_138() -> None:
    bad = bytearray(POS_PACKET)
    bad[-1] ^= 0x01  # SFRCS
    result = decode(bytes(bad))
    assert not result.fatal
    assert result.consumed == len(POS_PACKET)
    assert result.result == 138  # DATACRC_ERROR
    assert result.fixes == ()
    assert result.response(pid=1, first_rn=0)[13] == 138


def test_unsupported_version_is_128() -> None:
    header = bytes([0x02]) + POS_HEADER[1:]
    result = decode(packet(header, POS_RECORD))
    assert result.fatal and result.result == 128  # UNS_PROTOCOL


def test_bad_header_length_is_131() -> None:
    result = decode(bytes.fromhex("01000c0c00"))  # HL = 12
    assert result.fatal and result.result == 131  # INC_HEADERFORM


def test_unknown_packet_type_is_133() -> None:
    header = POS_HEADER[:9] + bytes([5])
    result = decode(packet(header, POS_RECORD))
    assert not result.fatal
    assert result.result == 133  # UNS_TYPE


def test_truncated_record_is_132() -> None:
    record = bytearray(POS_RECORD)
    record[0] = 0x40  # RL = 64, beyond the frame
    result = decode(packet(POS_HEADER, bytes(record)))
    assert result.result == 132  # INC_DATAFORM
    assert result.fixes == ()
    assert not result.fatal


def test_encrypted_packet_is_129() -> None:
    header = POS_HEADER[:2] + bytes([0x08]) + POS_HEADER[3:]  # ENA = 01
    assert decode(packet(header, POS_RECORD)).result == Result.DECRYPT_ERROR


def test_routed_header_of_16_bytes() -> None:
    header15 = bytes.fromhex(
        "01"
        "00"
        "20"
        "10"
        "00"
        "2600"
        "3412"
        "01"  # RTE set, HL = 16
        "0100"  # PRA
        "0200"  # RCA
        "05"  # TTL
    )
    pkt = header15 + bytes([crc8(header15)]) + POS_RECORD + crc16(POS_RECORD).to_bytes(2, "little")
    result = decode(pkt)
    assert result.result == Result.OK
    assert len(result.fixes) == 1


def test_term_identity_and_auth_info() -> None:
    sfrd = (
        bytes.fromhex(
            "2100"  # RL = 33: TERM_IDENTITY (3 + 20) + AUTH_INFO (3 + 7)
            "0100"  # RN = 1
            "00"  # RFL
            "01"
            "01"  # SST = RST = AUTH
            "01"
            "1400"  # SRT = 1 TERM_IDENTITY, SRL = 20
            "39300000"  # TID = 12345
            "02"  # flags: IMEIE
        )
        + b"356307042441013"
        + bytes.fromhex(
            "070700"  # SRT = 7 AUTH_INFO, SRL = 7
        )
        + b"usr\x00pw\x00"
    )
    result = decode(packet(appdata_header(len(sfrd), pid=1), sfrd))
    assert result.result == Result.OK
    [ident] = result.identities
    assert ident.tid == 12345
    assert ident.imei == "356307042441013"
    assert ident.identifier == "356307042441013"
    [info] = result.auth_infos
    assert (info.user, info.password) == ("usr", "pw")
    assert result.records[0].service == 1


def test_result_code_packet() -> None:
    pkt = encode_result_code(pid=3, rn=4, code=Result.AUTH_DENIED)
    sfrd = bytes.fromhex(
        "0400"
        "0400"
        "40"
        "01"
        "01"  # RL 4, RN 4, RFL RSOD, AUTH -> AUTH
        "09"
        "0100"
        "97"  # SRT 9 RESULT_CODE, SRL 1, RCD 151
    )
    assert pkt == packet(bytes.fromhex("0100000b000b00030001"), sfrd)
    assert decode(pkt).result_codes == (151,)


def test_terminal_response_is_not_answered() -> None:
    sfrd = bytes.fromhex("05000006000000000101000300040000")
    pkt = packet(bytes.fromhex("0100000b001000090000"), sfrd)
    result = decode(pkt)
    assert result.response_to == (5, 0)
    assert result.confirmations[0].crn == 4
    assert not result.needs_response


def test_ext_pos_state_and_sensors_subrecords() -> None:
    subs = bytes.fromhex(
        "11"
        "0600"
        "1a"
        "7800"
        "0c"
        "0300"  # EXT_POS_DATA: HFE|SFE|NSFE, HDOP 1.20, SAT 12,
        # NS = GLONASS|GPS
        "14"
        "0500"
        "02"
        "7c"
        "25"
        "2a"
        "05"  # STATE_DATA: mode 2, 12.4 V, 3.7 V, 4.2 V,
        # BBU|NMS
        "12"
        "0700"
        "01"
        "03"
        "01"
        "aa"
        "102700"  # AD_SENSORS: DIO1 0xAA, DOUT 3, ADC1 10000
    )
    pos = POS_RECORD[SUB_AT:]  # the POS_DATA subrecord
    rd = pos + subs
    record = len(rd).to_bytes(2, "little") + bytes.fromhex("0500000202") + rd
    [fix] = decode(packet(appdata_header(len(record), pid=1), record)).fixes
    assert fix.hdop == 1.2
    assert fix.satellites == 12
    assert fix.params["power_v"] == 12.4
    assert fix.params["battery_v"] == 3.7
    assert fix.params["internal_battery_v"] == 4.2
    assert fix.params["on_backup_power"] is True
    assert fix.params["nav_module_on"] is True
    assert fix.params["dio1"] == 0xAA
    assert fix.params["outputs"] == 3
    assert fix.params["adc1"] == 10000
    assert fix.params["gnss_systems"] == 3
    assert "oid" not in fix.params


def test_signed_appdata_skips_the_signature() -> None:
    sfrd = (
        bytes.fromhex("0400")  # SIGL = 4
        + bytes.fromhex("deadbeef")  # SIGD (not verified)
        + POS_RECORD
    )
    header = bytes.fromhex("0100000b00") + len(sfrd).to_bytes(2, "little")
    result = decode(packet(header + bytes.fromhex("020002"), sfrd))  # PID 2, PT 2
    assert result.result == 0
    assert result.packet_type == PacketType.SIGNED_APPDATA
    assert len(result.fixes) == 1


def test_unknown_service_is_confirmed_with_srvc_nfound() -> None:
    record = bytes.fromhex("00000300006363")  # RL 0, RN 3, service 99
    result = decode(packet(appdata_header(len(record), pid=1), record))
    assert result.result == 0
    assert [(r.rn, r.status) for r in result.records] == [(3, Result.SRVC_NFOUND)]
    response = decode(result.response(pid=0, first_rn=0))
    assert [(c.crn, c.rst) for c in response.confirmations] == [(3, 148)]


def test_result_code_enum_values_match_the_standard() -> None:
    assert [int(r) for r in (Result.OK, Result.UNS_PROTOCOL, Result.INC_HEADERFORM)] == [
        0,
        128,
        131,
    ]
    assert int(Result.HEADERCRC_ERROR) == 137 and int(Result.DATACRC_ERROR) == 138
    assert int(Result.AUTH_DENIED) == 151 and int(Result.ID_NFOUND) == 153


def test_loop_inputs_and_absolute_counter() -> None:
    subs = bytes.fromhex(
        "16"
        "0300"
        "0b"
        "21"
        "03"  # LOOPIN_DATA: loops 1, 2, 4; states 1, 2 | 3 (low nibble first)
        "19"
        "0400"
        "02"
        "a08601"  # ABS_CNTR_DATA: counter 2 = 100000
    )
    rd = POS_RECORD[SUB_AT:] + subs
    record = len(rd).to_bytes(2, "little") + bytes.fromhex("0500000202") + rd
    [fix] = decode(packet(appdata_header(len(record), pid=1), record)).fixes
    assert (fix.params["loop1"], fix.params["loop2"], fix.params["loop4"]) == (1, 2, 3)
    assert "loop3" not in fix.params
    assert fix.params["counter2"] == 100000
