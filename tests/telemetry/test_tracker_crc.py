"""The checksums, checked against bit-by-bit implementations written from their definitions."""

from hypothesis import given
from hypothesis import strategies as st

from shekara.telemetry.protocols.crc import crc8_egts, crc16_arc, crc16_egts

CHECK = b"123456789"


def crc8_bitwise(data: bytes) -> int:
    """CRC-8: poly x^8+x^5+x^4+1 (0x31), init 0xFF, MSB first, no final xor."""
    crc = 0xFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x31) if crc & 0x80 else crc << 1
            crc &= 0xFF
    return crc


def crc16_ccitt_bitwise(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, MSB first, no final xor."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def crc16_arc_bitwise(data: bytes) -> int:
    """CRC-16/ARC: poly 0x8005 reflected (0xA001), init 0, LSB first, no final xor."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def test_check_values_from_the_specifications() -> None:
    assert crc8_bitwise(CHECK) == 0xF7
    assert crc16_ccitt_bitwise(CHECK) == 0x29B1
    assert crc16_arc_bitwise(CHECK) == 0xBB3D
    assert crc8_egts(CHECK) == 0xF7
    assert crc16_egts(CHECK) == 0x29B1
    assert crc16_arc(CHECK) == 0xBB3D


def test_empty_input_gives_the_initial_value() -> None:
    assert crc8_egts(b"") == 0xFF
    assert crc16_egts(b"") == 0xFFFF
    assert crc16_arc(b"") == 0


@given(st.binary(max_size=300))
def test_table_driven_equals_bitwise(data: bytes) -> None:
    assert crc8_egts(data) == crc8_bitwise(data)
    assert crc16_egts(data) == crc16_ccitt_bitwise(data)
    assert crc16_arc(data) == crc16_arc_bitwise(data)
