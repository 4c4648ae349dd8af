"""Fixtures of the live platform's tests: the MQTT tests' brokers (Mosquitto processes of our
own, amqtt in-process) and a central-mode meter served over each (live_rig.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from live_rig import LiveMeter, central_config, serve_central
from mqtt_rig import Mosquitto
from programs import require_program

from emulator.broker import EmbeddedBroker
from headend.mqtt import BrokerAddress


@pytest.fixture
def mosquitto_factory() -> Iterator[list[Mosquitto]]:
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
async def meter(broker: BrokerAddress) -> AsyncIterator[LiveMeter]:
    """A central-mode meter drawing 6 kW: about 144 kWh a day."""
    served = await serve_central(broker, central_config(6000))
    yield served
    await served.service.close()
