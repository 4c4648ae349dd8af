"""Fixtures of the live platform's tests: a central-mode meter served over each broker
(tests/brokers.py, live_rig.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from live_rig import LiveMeter, central_config, serve_central

from headend.mqtt import BrokerAddress


@pytest.fixture
async def meter(broker: BrokerAddress) -> AsyncIterator[LiveMeter]:
    """A central-mode meter drawing 6 kW: about 144 kWh a day."""
    served = await serve_central(broker, central_config(6000))
    yield served
    await served.service.close()
