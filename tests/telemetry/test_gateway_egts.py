"""EGTS gateway over real localhost sockets, with an in-memory sink."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from shekara.telemetry.gateway import EgtsGateway, GatewaySettings
from shekara.telemetry.protocols.egts import (
    DecodeResult,
    PacketType,
    PosData,
    Result,
    Service,
    Subrecord,
    TermIdentity,
    decode,
    encode_appdata,
    encode_pos_data,
    encode_record,
    encode_subrecord,
    encode_term_identity,
)
from shekara.telemetry.protocols.fix import Fix

IMEI = "356307042441013"
DEVICES = {IMEI: "truck-1", "777": "seal-777"}
QUIET = 0.3


class MemorySink:
    """Stores in a list; `gate` holds `store` back, `fail` makes it raise."""

    def __init__(self) -> None:
        self.fixes: list[Fix] = []
        self.calls = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail = False

    async def store(self, fixes: Sequence[Fix]) -> None:
        self.calls += 1
        await self.gate.wait()
        if self.fail:
            raise RuntimeError("storage down")
        self.fixes.extend(fixes)


async def authenticate(protocol: str, identifier: str, password: str | None) -> str | None:
    assert protocol == "egts"
    return DEVICES.get(identifier)


def auth_packet(pid: int = 1, imei: str = IMEI) -> bytes:
    sub = encode_subrecord(
        Subrecord.TERM_IDENTITY, encode_term_identity(TermIdentity(tid=1, imei=imei))
    )
    return encode_appdata([encode_record(1, Service.AUTH, sub)], pid)


def pos_packet(pid: int = 2, rn: int = 5, oid: int | None = None) -> bytes:
    pos = PosData(time=datetime(2026, 5, 1, 12, tzinfo=UTC), lat=43.25, lon=76.95, speed_kmh=61.5)
    sub = encode_subrecord(Subrecord.POS_DATA, encode_pos_data(pos))
    return encode_appdata([encode_record(rn, Service.TELEDATA, sub, oid=oid)], pid)


async def read_packet(reader: asyncio.StreamReader, timeout: float = 2.0) -> DecodeResult:
    header = await asyncio.wait_for(reader.readexactly(11), timeout)
    fdl = int.from_bytes(header[5:7], "little")
    rest = await asyncio.wait_for(reader.readexactly(fdl + 2 if fdl else 0), timeout)
    result = decode(header + rest)
    assert result.consumed == len(header + rest)
    return result


async def nothing_arrives(reader: asyncio.StreamReader) -> bool:
    try:
        data = await asyncio.wait_for(reader.read(1), QUIET)
    except TimeoutError:
        return True
    return data == b""


Scenario = Callable[[asyncio.StreamReader, asyncio.StreamWriter, MemorySink], Awaitable[None]]


def run(scenario: Scenario, settings: GatewaySettings | None = None) -> MemorySink:
    async def main() -> MemorySink:
        sink = MemorySink()
        server = await EgtsGateway(sink, authenticate, settings).start("127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            await scenario(reader, writer, sink)
        finally:
            writer.close()
            server.close()
            await server.wait_closed()
        return sink

    return asyncio.run(main())


async def login(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(auth_packet(pid=1))
    response = await read_packet(reader)
    assert response.packet_type == PacketType.RESPONSE
    assert response.response_to == (1, Result.OK)
    assert [c.crn for c in response.confirmations] == [1]
    result_code = await read_packet(reader)
    assert result_code.result_codes == (Result.OK,)


def test_authentication_then_ack_only_after_store() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        await login(reader, writer)
        sink.gate.clear()
        writer.write(pos_packet(pid=2, rn=5))
        assert await nothing_arrives(reader)  # store has not returned: no acknowledgement
        assert sink.fixes == []
        sink.gate.set()
        response = await read_packet(reader)
        assert response.response_to == (2, Result.OK)
        assert [(c.crn, c.rst) for c in response.confirmations] == [(5, Result.OK)]
        assert len(sink.fixes) == 1

    sink = run(scenario)
    assert sink.fixes[0].device_id == "truck-1"
    assert sink.fixes[0].speed_kmh == 61.5


def test_no_ack_and_close_when_store_fails() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        await login(reader, writer)
        sink.fail = True
        writer.write(pos_packet())
        assert await asyncio.wait_for(reader.read(), 2.0) == b""  # closed, nothing sent

    assert run(scenario).fixes == []


def test_partial_and_coalesced_packets() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        data = auth_packet(pid=1) + pos_packet(pid=2) + pos_packet(pid=3)
        for i in range(0, len(data), 7):  # dribble the bytes in small pieces
            writer.write(data[i : i + 7])
            await writer.drain()
            await asyncio.sleep(0.005)
        assert (await read_packet(reader)).response_to == (1, 0)
        assert (await read_packet(reader)).result_codes == (0,)
        assert (await read_packet(reader)).response_to == (2, 0)
        assert (await read_packet(reader)).response_to == (3, 0)
        writer.write(pos_packet(pid=4) + pos_packet(pid=5))  # two packets, one write
        assert (await read_packet(reader)).response_to == (4, 0)
        assert (await read_packet(reader)).response_to == (5, 0)

    assert len(run(scenario).fixes) == 4


def test_data_crc_error_is_answered_and_the_connection_kept() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        await login(reader, writer)
        bad = bytearray(pos_packet(pid=9))
        bad[-1] ^= 0xFF
        writer.write(bytes(bad))
        assert (await read_packet(reader)).response_to == (9, Result.DATACRC_ERROR)
        writer.write(pos_packet(pid=10))
        assert (await read_packet(reader)).response_to == (10, 0)

    assert len(run(scenario).fixes) == 1


def test_garbage_is_answered_unsupported_protocol_and_closed() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        response = await read_packet(reader)
        assert response.response_to is not None
        assert response.response_to[1] == Result.UNS_PROTOCOL
        assert await asyncio.wait_for(reader.read(), 2.0) == b""

    run(scenario)


def test_header_crc_error_closes() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        bad = bytearray(auth_packet(pid=4))
        bad[10] ^= 0x55
        writer.write(bytes(bad))
        assert (await read_packet(reader)).response_to == (4, Result.HEADERCRC_ERROR)
        assert await asyncio.wait_for(reader.read(), 2.0) == b""

    run(scenario)


def test_unknown_terminal_is_denied_and_closed() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        writer.write(auth_packet(pid=1, imei="999999999999999"))
        assert (await read_packet(reader)).response_to == (1, 0)
        assert (await read_packet(reader)).result_codes == (Result.AUTH_DENIED,)
        assert await asyncio.wait_for(reader.read(), 2.0) == b""

    run(scenario)


def test_data_without_authentication_is_not_acknowledged() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        writer.write(pos_packet())
        assert await asyncio.wait_for(reader.read(), 2.0) == b""

    assert run(scenario).fixes == []


def test_terminal_identified_by_oid() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        writer.write(pos_packet(pid=3, oid=777))
        assert (await read_packet(reader)).response_to == (3, 0)

    assert [f.device_id for f in run(scenario).fixes] == ["seal-777"]


def test_idle_connection_is_closed() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        writer.write(auth_packet()[:5])  # a partial header, then silence
        assert await asyncio.wait_for(reader.read(), 3.0) == b""

    run(scenario, GatewaySettings(idle_timeout_s=0.3))


def test_a_burst_is_stored_together_and_acknowledged_in_order() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        await login(reader, writer)
        writer.write(b"".join(pos_packet(pid=100 + i, rn=i) for i in range(50)))
        for i in range(50):
            response = await read_packet(reader)
            assert response.response_to == (100 + i, 0)
            assert [c.crn for c in response.confirmations] == [i]

    sink = run(scenario)
    assert len(sink.fixes) == 50
    assert sink.calls < 50  # one durable write per read, not per packet


def test_random_garbage_never_takes_the_server_down() -> None:
    import random

    async def main() -> None:
        sink = MemorySink()
        server = await EgtsGateway(sink, authenticate, GatewaySettings(idle_timeout_s=0.5)).start(
            "127.0.0.1", 0
        )
        port = server.sockets[0].getsockname()[1]
        rng = random.Random(33472)
        try:
            for i in range(20):
                blob = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
                if i % 2:  # a valid start, then garbage
                    blob = auth_packet() + pos_packet() + blob
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(blob)
                await asyncio.wait_for(reader.read(), 3.0)  # answered or not, then closed
                writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            await login(reader, writer)  # still serving
            writer.close()
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(main())
