"""Asyncio TCP/UDP gateways for tracker protocols, decoupled from storage by `FixSink`."""

from shekara.telemetry.gateway.base import Authenticator, FixSink, GatewaySettings
from shekara.telemetry.gateway.egts import EgtsGateway
from shekara.telemetry.gateway.service import RunningGateways, start_gateways
from shekara.telemetry.gateway.wialon import WialonGateway, WialonUdpProtocol

__all__ = [
    "Authenticator",
    "EgtsGateway",
    "FixSink",
    "GatewaySettings",
    "RunningGateways",
    "WialonGateway",
    "WialonUdpProtocol",
    "start_gateways",
]
