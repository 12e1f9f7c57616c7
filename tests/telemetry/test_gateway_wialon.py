"""Wialon IPS gateway over real localhost TCP and UDP sockets, with an in-memory sink."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from shekara.telemetry.gateway import GatewaySettings, WialonGateway
from shekara.telemetry.protocols.fix import Fix
from shekara.telemetry.protocols.wialon import encode_frame, encode_login, encode_udp

IMEI = "356307042441013"
SD_BODY = "220326;201500;5544.6025;N;03739.6834;E;12;200;150;9"
SD = b"#SD#" + SD_BODY.encode() + b"\r\n"
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
    assert protocol == "wialon_ips"
    return "truck-1" if identifier == IMEI and password in (None, "secret") else None


async def line(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.readline(), 2.0)


async def eof(reader: asyncio.StreamReader) -> bool:
    return await asyncio.wait_for(reader.read(), 2.0) == b""


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
        server = await WialonGateway(sink, authenticate, settings).start("127.0.0.1", 0)
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


def test_login_then_ack_only_after_store() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        writer.write(f"#L#{IMEI};secret\r\n".encode())
        assert await line(reader) == b"#AL#1\r\n"
        sink.gate.clear()
        writer.write(SD)
        assert await nothing_arrives(reader)
        assert sink.fixes == []
        sink.gate.set()
        assert await line(reader) == b"#ASD#1\r\n"

    sink = run(scenario)
    assert [f.device_id for f in sink.fixes] == ["truck-1"]


def test_no_answer_and_close_when_store_fails() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        writer.write(f"#L#{IMEI};secret\r\n".encode())
        assert await line(reader) == b"#AL#1\r\n"
        sink.fail = True
        writer.write(SD)
        assert await eof(reader)

    assert run(scenario).fixes == []


def test_unknown_device_gets_al_0_and_is_closed() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        writer.write(b"#L#111;secret\r\n")
        assert await line(reader) == b"#AL#0\r\n"
        assert await eof(reader)

    run(scenario)


def test_data_before_login_closes() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        writer.write(SD)
        assert await eof(reader)

    assert run(scenario).fixes == []


def test_partial_and_coalesced_frames_v2() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        sd = encode_frame("SD", SD_BODY, "2.0")
        blackbox = encode_frame("B", "|".join([SD_BODY] * 3), "2.0")
        data = encode_login(IMEI, "secret", "2.0") + sd + b"#P#\r\n" + blackbox
        for i in range(0, len(data), 5):
            writer.write(data[i : i + 5])
            await writer.drain()
            await asyncio.sleep(0.002)
        assert await line(reader) == b"#AL#1\r\n"
        assert await line(reader) == b"#ASD#1\r\n"
        assert await line(reader) == b"#AP#\r\n"
        assert await line(reader) == b"#AB#3\r\n"
        bad_crc = b"#SD#" + SD_BODY.encode() + b";0000\r\n"
        writer.write(bad_crc + sd)  # coalesced: an error answer, then a good one
        assert await line(reader) == b"#ASD#13\r\n"
        assert await line(reader) == b"#ASD#1\r\n"

    sink = run(scenario)
    assert len(sink.fixes) == 5
    assert sum(f.blackbox for f in sink.fixes) == 3


def test_malformed_data_gets_the_error_answer_and_garbage_closes() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        writer.write(f"#L#{IMEI};secret\r\n".encode())
        assert await line(reader) == b"#AL#1\r\n"
        writer.write(b"#SD#220326;201500;99x9.1;N;03739.6834;E;12;200;150;9\r\n")
        assert await line(reader) == b"#ASD#10\r\n"
        writer.write(b"\x00\x01binary garbage\r\n")
        assert await eof(reader)

    assert run(scenario).fixes == []


def test_oversized_frame_closes() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        writer.write(f"#L#{IMEI};secret\r\n".encode())
        assert await line(reader) == b"#AL#1\r\n"
        writer.write(b"#D#" + b"1" * 5000)
        assert await eof(reader)

    run(scenario, GatewaySettings(max_frame_bytes=1000))


def test_idle_connection_is_closed() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        writer.write(b"#L#")
        assert await eof(reader)

    run(scenario, GatewaySettings(idle_timeout_s=0.3))


class _Client(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.received.put_nowait(data)


def test_udp() -> None:
    async def main() -> MemorySink:
        sink = MemorySink()
        gateway = WialonGateway(sink, authenticate)
        transport = await gateway.start_udp("127.0.0.1", 0)
        port = transport.get_extra_info("sockname")[1]
        loop = asyncio.get_running_loop()
        client_transport, client = await loop.create_datagram_endpoint(
            _Client, remote_addr=("127.0.0.1", port)
        )
        try:
            sink.gate.clear()
            client_transport.sendto(encode_udp(encode_frame("SD", SD_BODY, "2.0"), IMEI))
            await asyncio.sleep(QUIET)
            assert client.received.empty()  # not before the store returned
            sink.gate.set()
            assert await asyncio.wait_for(client.received.get(), 2.0) == b"#ASD#1\r\n"
            client_transport.sendto(encode_udp(SD, IMEI, "1.1"))
            assert await asyncio.wait_for(client.received.get(), 2.0) == b"#ASD#1\r\n"
            client_transport.sendto(encode_udp(SD, "000", "1.1"))  # unknown device
            client_transport.sendto(b"garbage without imei")
            sink.fail = True
            client_transport.sendto(encode_udp(SD, IMEI, "1.1"))
            await asyncio.sleep(QUIET)
            assert client.received.empty()
        finally:
            client_transport.close()
            transport.close()
        return sink

    sink = asyncio.run(main())
    assert [f.device_id for f in sink.fixes] == ["truck-1", "truck-1"]


def test_compressed_frame() -> None:
    from shekara.telemetry.protocols.wialon import compress_frame

    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        writer.write(f"#L#{IMEI};secret\r\n".encode() + compress_frame(SD))
        assert await line(reader) == b"#AL#1\r\n"
        assert await line(reader) == b"#ASD#1\r\n"

    assert len(run(scenario).fixes) == 1


def test_start_gateways_together() -> None:
    from shekara.telemetry.gateway import start_gateways

    async def main() -> None:
        sink = MemorySink()
        running = await start_gateways(
            sink, authenticate, host="127.0.0.1", egts_port=0, wialon_port=0, wialon_udp_port=0
        )
        try:
            assert all(running.port(n) > 0 for n in ("egts", "wialon_ips", "wialon_ips_udp"))
            reader, writer = await asyncio.open_connection("127.0.0.1", running.port("wialon_ips"))
            writer.write(f"#L#{IMEI};secret\r\n".encode() + SD)
            assert await line(reader) == b"#AL#1\r\n"
            assert await line(reader) == b"#ASD#1\r\n"
            writer.close()
        finally:
            await running.close()
        assert len(sink.fixes) == 1

    asyncio.run(main())


def test_a_burst_is_stored_together_and_answered_in_order() -> None:
    async def scenario(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: MemorySink
    ) -> None:
        bad = b"#SD#220326;201500;99x9.1;N;03739.6834;E;12;200;150;9\r\n"
        writer.write(f"#L#{IMEI};secret\r\n".encode() + (SD + bad + b"#P#\r\n") * 20)
        assert await line(reader) == b"#AL#1\r\n"
        for _ in range(20):
            assert await line(reader) == b"#ASD#1\r\n"
            assert await line(reader) == b"#ASD#10\r\n"
            assert await line(reader) == b"#AP#\r\n"

    sink = run(scenario)
    assert len(sink.fixes) == 20
    assert sink.calls < 20


def test_random_garbage_never_takes_the_server_down() -> None:
    import random

    async def main() -> None:
        sink = MemorySink()
        gateway = WialonGateway(sink, authenticate, GatewaySettings(idle_timeout_s=0.5))
        server = await gateway.start("127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        rng = random.Random(1120)
        try:
            for i in range(20):
                blob = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
                if i % 2:
                    blob = f"#L#{IMEI};secret\r\n".encode() + SD + blob + b"\r\n"
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(blob)
                await asyncio.wait_for(reader.read(), 3.0)
                writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"#L#{IMEI};secret\r\n".encode())
            assert await line(reader) == b"#AL#1\r\n"
            writer.close()
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(main())
