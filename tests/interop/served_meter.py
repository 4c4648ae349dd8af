"""A virtual meter (instant clock, moved by the test) served over loopback TCP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

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

    def advance_to(self, moment: datetime) -> None:
        clock = self.runtime.simulated_clock
        assert clock is not None
        clock.advance_to(moment)
        self.runtime.meter.advance_to(moment)
