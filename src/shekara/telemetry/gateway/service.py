"""Start and stop all tracker gateways together (for the application's lifespan or the CLI)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import structlog

from shekara.telemetry.gateway.base import Authenticator, FixSink, GatewaySettings
from shekara.telemetry.gateway.egts import EgtsGateway
from shekara.telemetry.gateway.wialon import WialonGateway

log = structlog.get_logger(__name__)


@dataclass
class RunningGateways:
    """The listening sockets; `close()` stops accepting and closes them."""

    servers: dict[str, asyncio.Server] = field(default_factory=dict)
    transports: dict[str, asyncio.DatagramTransport] = field(default_factory=dict)

    def port(self, name: str) -> int:
        """The bound port of "egts", "wialon_ips" or "wialon_ips_udp" (useful with port 0)."""
        if name in self.servers:
            return int(self.servers[name].sockets[0].getsockname()[1])
        return int(self.transports[name].get_extra_info("sockname")[1])

    async def close(self) -> None:
        for transport in self.transports.values():
            transport.close()
        for server in self.servers.values():
            server.close()
        for server in self.servers.values():
            await server.wait_closed()
        log.info("gateways.stopped")


async def start_gateways(
    sink: FixSink,
    authenticate: Authenticator,
    *,
    host: str = "0.0.0.0",
    egts_port: int | None = None,
    wialon_port: int | None = None,
    wialon_udp_port: int | None = None,
    settings: GatewaySettings | None = None,
) -> RunningGateways:
    """Start the gateways whose port is given (None: not started)."""
    running = RunningGateways()
    try:
        if egts_port is not None:
            egts = EgtsGateway(sink, authenticate, settings)
            running.servers["egts"] = await egts.start(host, egts_port)
        wialon = WialonGateway(sink, authenticate, settings)
        if wialon_port is not None:
            running.servers["wialon_ips"] = await wialon.start(host, wialon_port)
        if wialon_udp_port is not None:
            running.transports["wialon_ips_udp"] = await wialon.start_udp(host, wialon_udp_port)
    except BaseException:
        await running.close()
        raise
    log.info(
        "gateways.started",
        host=host,
        ports={name: running.port(name) for name in [*running.servers, *running.transports]},
    )
    return running
