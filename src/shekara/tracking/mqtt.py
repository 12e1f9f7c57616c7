"""MQTT: Shekara subscribes to a broker that trackers (or a vendor platform) publish to.

Topic ``<prefix>/<device identifier>/fixes`` (default prefix ``shekara/tracking``), payload the
HTTP ingest body (``{"fixes": [...]}``) or one fix object. The identifier must be a registered,
active device whose protocol is ``mqtt`` or ``any`` (the broker authenticates publishers).

Messages are received with QoS 1 in a persistent session and acknowledged (PUBACK) only after
the sink stored them: the broker redelivers what was not acknowledged, so nothing acknowledged
is lost. aiomqtt does not expose manual acknowledgements; they are set on its paho client.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlparse

import aiomqtt
import structlog
from pydantic import ValidationError

from shekara.telemetry.gateway import FixSink
from shekara.telemetry.protocols.fix import Fix
from shekara.tracking.schemas import IngestBody, fixes_from_body

log = structlog.get_logger(__name__)

Authenticate = Callable[[str, str, str | None], Awaitable[str | None]]


def parse_payload(device_id: str, payload: bytes) -> list[Fix]:
    """Fixes of one message; raises ValueError on a malformed payload."""
    data: Any = json.loads(payload)
    if isinstance(data, dict) and "fixes" not in data:
        data = {"fixes": [data]}
    try:
        body = IngestBody.model_validate(data)
    except ValidationError as e:
        raise ValueError(str(e)) from e
    return fixes_from_body(device_id, body, "mqtt")


async def subscribe(
    url: str,
    sink: FixSink,
    authenticate: Authenticate,
    *,
    prefix: str = "shekara/tracking",
    client_id: str = "shekara-ingest",
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
) -> int:
    """Consume until ``stop`` is set; returns the number of fixes stored."""
    parsed = urlparse(url)
    stored = 0
    stop = stop or asyncio.Event()
    async with aiomqtt.Client(
        parsed.hostname or "127.0.0.1",
        parsed.port or 1883,
        username=parsed.username,
        password=parsed.password,
        identifier=client_id,
        clean_session=False,
    ) as client:
        paho = client._client  # manual PUBACK after storage (not exposed by aiomqtt)
        paho.manual_ack_set(True)
        await client.subscribe(f"{prefix}/+/fixes", qos=1)
        if ready is not None:
            ready.set()
        messages = aiter(client.messages)
        while not stop.is_set():
            try:
                message = await asyncio.wait_for(anext(messages), 0.5)
            except TimeoutError:
                continue
            parts = message.topic.value.split("/")
            identifier = parts[-2] if len(parts) >= 2 else ""
            device_id = await authenticate("mqtt", identifier, None)
            if device_id is None:
                log.warning("mqtt.unknown_device", identifier=identifier)
                paho.ack(message.mid, message.qos)  # nothing to keep: drop it
                continue
            try:
                payload = message.payload
                raw = payload if isinstance(payload, bytes) else str(payload).encode()
                fixes = parse_payload(device_id, raw)
            except ValueError as e:
                log.warning("mqtt.bad_payload", identifier=identifier, error=str(e)[:300])
                paho.ack(message.mid, message.qos)
                continue
            await sink.store(fixes)  # raises: no PUBACK, the broker redelivers
            paho.ack(message.mid, message.qos)
            stored += len(fixes)
    return stored
