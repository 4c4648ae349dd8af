"""Fixtures of the MQTT tests: a virtual meter served over each broker (tests/brokers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mqtt_rig import ServedMeter, serve_meter

from headend.mqtt import BrokerAddress


@pytest.fixture
async def served(broker: BrokerAddress) -> AsyncIterator[ServedMeter]:
    meter = await serve_meter(broker)
    yield meter
    await meter.service.close()
