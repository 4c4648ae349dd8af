"""Fixtures of the push tests: the MQTT tests' brokers (a Mosquitto process of our own, amqtt
in-process), reused from tests/mqtt/mqtt_rig.py."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "mqtt"))
sys.path.insert(0, str(Path(__file__).parents[1] / "interop"))

from mqtt_rig import Mosquitto
from programs import require_program

from emulator.broker import EmbeddedBroker
from headend.mqtt import BrokerAddress


@pytest.fixture(params=["mosquitto", "amqtt"])
async def broker(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BrokerAddress]:
    if request.param == "mosquitto":
        require_program("mosquitto")
        process = Mosquitto(tmp_path)
        await process.start()
        try:
            yield process.address
        finally:
            process.stop()
        return
    embedded = EmbeddedBroker(0)
    await embedded.start()
    yield embedded.address
    await embedded.close()
