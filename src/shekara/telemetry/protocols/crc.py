"""Checksums used by the tracker protocols, table driven.

- CRC-8 of EGTS (GOST R 54619-2011 appendix): poly 0x31, init 0xFF, not reflected, xorout 0.
- CRC-16/CCITT-FALSE of EGTS: poly 0x1021, init 0xFFFF, not reflected, xorout 0
  (`binascii.crc_hqx` computes exactly this one, in C).
- CRC-16/ARC of Wialon IPS 2.0: poly 0x8005 reflected (0xA001), init 0, xorout 0.
"""

from __future__ import annotations

import binascii
import sys
from array import array


def _table8(poly: int) -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ poly) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return tuple(table)


def _table16_reflected(poly: int) -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC8_TABLE = _table8(0x31)
_ARC_TABLE = _table16_reflected(0xA001)


def crc8_egts(data: bytes | bytearray | memoryview) -> int:
    """EGTS header checksum (HCS)."""
    crc = 0xFF
    table = _CRC8_TABLE
    for byte in bytes(data):
        crc = table[crc ^ byte]
    return crc


def crc16_egts(data: bytes | bytearray | memoryview) -> int:
    """EGTS frame data checksum (SFRCS): CRC-16/CCITT-FALSE."""
    return binascii.crc_hqx(data, 0xFFFF)


def _arc_word_table() -> array[int]:
    """CRC-16/ARC advanced by 16 bits: a reflected 16-bit register XORed with a little-endian
    word is a function of that value alone, so one lookup processes two bytes. Kept as a
    contiguous array (128 KiB), which stays in the CPU cache better than a tuple of ints."""
    t = _ARC_TABLE
    table = array("H")
    for value in range(0x10000):
        crc = (value >> 8) ^ t[value & 0xFF]
        table.append((crc >> 8) ^ t[crc & 0xFF])
    return table


_ARC_WORDS: array[int] | None = None
_LITTLE_ENDIAN = sys.byteorder == "little"


def crc16_arc(data: bytes | bytearray | memoryview) -> int:
    """Wialon IPS 2.0 checksum: CRC-16/ARC."""
    global _ARC_WORDS
    words = _ARC_WORDS
    if words is None:
        words = _ARC_WORDS = _arc_word_table()
    raw = bytes(data)
    crc = 0
    even = len(raw) & ~1
    if _LITTLE_ENDIAN:
        pairs: memoryview | array[int] = memoryview(raw[:even]).cast("H")
    else:
        pairs = array("H", raw[:even])
        pairs.byteswap()
    for word in pairs:
        crc = words[crc ^ word]
    if even != len(raw):
        crc = (crc >> 8) ^ _ARC_TABLE[(crc ^ raw[-1]) & 0xFF]
    return crc
