"""Helpers of the MQTT tests: a virtual meter (instant clock, moved by the test) served over a
broker (tests/brokers.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from emulator.config import MeterConfig, RunConfig
from emulator.cosem_binding import build_logical_device
from emulator.mqtt_service import Backoff, MqttService
from emulator.runtime import VirtualMeter
from headend.mqtt import BrokerAddress

# Monday 2 March 2026, 10:00 in Brussels, 500 W constant load.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SERIAL = MeterConfig().meter.identity.serial_number
FAST_BACKOFF = Backoff(first_s=0.05, max_s=0.2)
WAIT_S = 10.0


@dataclass
class ServedMeter:
    runtime: VirtualMeter
    service: MqttService

    @property
    def address(self) -> BrokerAddress:
        return self.service.address


async def serve_meter(address: BrokerAddress, backoff: Backoff = FAST_BACKOFF) -> ServedMeter:
    config = MeterConfig()
    runtime = VirtualMeter(config, RunConfig(instant=True, start=START))
    device = build_logical_device(runtime, config)
    service = MqttService(device, SERIAL, address, backoff=backoff)
    await service.start()
    await asyncio.wait_for(service.wait_online(), WAIT_S)
    return ServedMeter(runtime, service)
