"""Fixtures of the MQTT tests: brokers (Mosquitto processes of our own, amqtt in-process) and
a virtual meter served over each."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from mqtt_rig import Mosquitto, ServedMeter, serve_meter
from programs import require_program

from emulator.broker import EmbeddedBroker
from headend.mqtt import BrokerAddress


@pytest.fixture
def mosquitto_factory(tmp_path: Path) -> Iterator[list[Mosquitto]]:
    require_program("mosquitto")
    started: list[Mosquitto] = []
    yield started
    for broker in started:
        broker.stop()


@pytest.fixture(params=["mosquitto", "amqtt"])
async def broker(
    request: pytest.FixtureRequest, tmp_path: Path, mosquitto_factory: list[Mosquitto]
) -> AsyncIterator[BrokerAddress]:
    if request.param == "mosquitto":
        process = Mosquitto(tmp_path)
        mosquitto_factory.append(process)
        await process.start()
        yield process.address
        return
    embedded = EmbeddedBroker(0)
    await embedded.start()
    yield embedded.address
    await embedded.close()


@pytest.fixture
async def served(broker: BrokerAddress) -> AsyncIterator[ServedMeter]:
    meter = await serve_meter(broker)
    yield meter
    await meter.service.close()
