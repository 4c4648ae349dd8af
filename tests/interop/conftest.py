"""The ``served`` fixture: a virtual meter served over loopback TCP on port 0."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from served_meter import START, ServedMeter

from emulator.config import MeterConfig, RunConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.tcp_service import TcpService


@pytest.fixture
async def served() -> AsyncIterator[ServedMeter]:
    config = MeterConfig()
    runtime = VirtualMeter(config, RunConfig(instant=True, start=START))
    service = TcpService(build_logical_device(runtime, config), "127.0.0.1", 0, idle_timeout_s=30)
    await service.start()
    yield ServedMeter(runtime, service)
    await service.close()
