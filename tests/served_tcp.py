"""A virtual meter (instant clock, moved by the test) served over loopback TCP on port 0: the
``served`` fixture of tests/conftest.py, shared by the head-end and interop tests; and
``tcp_session``, one head-end session with a given meter over its own TCP service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from emulator.config import MeterConfig, RunConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.tcp_service import TcpService
from headend.session import Session
from headend.tcp import TcpWrapperTransport

# Monday 2 March 2026, 10:00 in Brussels: peak tariff (1.8.1), 500 W constant load.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WAIT_S = 10.0


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


@contextlib.asynccontextmanager
async def tcp_session(
    runtime: VirtualMeter, config: MeterConfig, client_sap: int, password: bytes | None = None
) -> AsyncIterator[Session]:
    """An associated session of ``client_sap`` with ``runtime``'s logical device over a TCP
    service of its own on port 0; released, and the service closed, on exit."""
    service = TcpService(build_logical_device(runtime, config), "127.0.0.1", 0, idle_timeout_s=30)
    await service.start()
    try:
        transport = await TcpWrapperTransport.connect(
            "127.0.0.1", service.port, client_sap=client_sap, server_sap=1, timeout_s=WAIT_S
        )
        async with Session(transport, password=password, timeout_s=WAIT_S) as session:
            yield session
    finally:
        await service.close()
