"""MQTT subscription against the local broker (127.0.0.1:1883): fixes published by a device
are stored; unknown devices and bad payloads are dropped with a log line."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import uuid
from collections.abc import Sequence

import aiomqtt
import pytest

from shekara.telemetry.protocols.fix import Alarm, Fix
from shekara.tracking.mqtt import parse_payload, subscribe

pytestmark = pytest.mark.broker
HOST, PORT = "127.0.0.1", 1883


@pytest.fixture(autouse=True)
def _broker_available() -> None:
    try:
        socket.create_connection((HOST, PORT), timeout=1).close()
    except OSError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"MQTT broker not reachable at {HOST}:{PORT} (required under CI)")
        pytest.skip(f"MQTT broker not reachable at {HOST}:{PORT}")


class Sink:
    def __init__(self) -> None:
        self.fixes: list[Fix] = []

    async def store(self, fixes: Sequence[Fix]) -> None:
        self.fixes.extend(fixes)


def test_payloads() -> None:
    [fix] = parse_payload(
        "d",
        json.dumps(
            {
                "fix_time": "2026-11-22T10:00:00Z",
                "lat": 50.1,
                "lon": 57.2,
                "alarms": ["sos", "unknown"],
            }
        ).encode(),
    )
    assert fix.alarms == {Alarm.SOS} and fix.protocol == "mqtt"
    with pytest.raises(ValueError):
        parse_payload("d", b'{"fixes": []}')


def test_subscribe_stores_published_fixes() -> None:
    tag = uuid.uuid4().hex[:8]
    prefix = f"test/{tag}"
    sink = Sink()

    async def authenticate(protocol: str, identifier: str, password: str | None) -> str | None:
        assert protocol == "mqtt"
        return {"860000000000777": "device-777"}.get(identifier)

    async def go() -> int:
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(
            subscribe(
                f"mqtt://{HOST}:{PORT}",
                sink,
                authenticate,
                prefix=prefix,
                client_id=f"test-{tag}",
                stop=stop,
                ready=ready,
            )
        )
        await asyncio.wait_for(ready.wait(), 10)
        async with aiomqtt.Client(HOST, PORT, identifier=f"pub-{tag}") as pub:
            body = {
                "fixes": [
                    {"fix_time": f"2026-11-22T10:00:0{i}Z", "lat": 50.0, "lon": 57.0}
                    for i in range(3)
                ]
            }
            await pub.publish(f"{prefix}/860000000000777/fixes", json.dumps(body), qos=1)
            await pub.publish(f"{prefix}/999/fixes", json.dumps(body), qos=1)
            await pub.publish(f"{prefix}/860000000000777/fixes", b"not json", qos=1)
        for _ in range(100):
            if len(sink.fixes) >= 3:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        stop.set()
        return await asyncio.wait_for(task, 10)

    stored = asyncio.run(go())
    assert stored == 3
    assert {f.device_id for f in sink.fixes} == {"device-777"}
