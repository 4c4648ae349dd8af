"""A virtual meter (instant clock, moved by the test) served over loopback TCP on port 0: the
``served`` fixture of tests/conftest.py, shared by the head-end and interop tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from emulator.config import MeterConfig, RunConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.tcp_service import TcpService

# Monday 2 March 2026, 10:00 in Brussels: peak tariff (1.8.1), 500 W constant load.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class ServedMeter:
    runtime: VirtualMeter
    service: TcpService

    @property
    def port(self) -> int:
        return self.service.port

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.service.port}"

    def advance_to(self, moment: datetime) -> None:
        clock = self.runtime.simulated_clock
        assert clock is not None
        clock.advance_to(moment)
        self.runtime.meter.advance_to(moment)


async def serve_over_tcp() -> ServedMeter:
    """A meter at START with its TCP service listening; close it with ``service.close()``."""
    config = MeterConfig()
    runtime = VirtualMeter(config, RunConfig(instant=True, start=START))
    service = TcpService(build_logical_device(runtime, config), "127.0.0.1", 0, idle_timeout_s=30)
    await service.start()
    return ServedMeter(runtime, service)
