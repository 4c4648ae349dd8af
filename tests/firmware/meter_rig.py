"""A meter on a simulated clock with emulated hardware, for the firmware tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from firmware.meter import ElectricityMeter
from firmware.nvm import NonVolatileMemory
from firmware.settings import MeterSettings
from hal.bundle import EmulatedMeterHal
from hal.clock import SimulatedClock
from hal.frontend import ConstantLoad, LoadModel, PowerReading

# A Wednesday in winter (CET, UTC+1).
WINTER_NOON = datetime(2026, 1, 14, 11, 0, tzinfo=UTC)


@dataclass
class Rig:
    meter: ElectricityMeter
    hal: EmulatedMeterHal
    clock: SimulatedClock

    def run_to(self, moment: datetime) -> None:
        self.clock.advance_to(moment)
        self.meter.advance_to(moment)


RigFactory = Callable[..., Rig]


def build_rig(
    start: datetime = WINTER_NOON,
    load: LoadModel | None = None,
    settings: MeterSettings | None = None,
    state_dir: Path | None = None,
) -> Rig:
    clock = SimulatedClock(start)
    hal = EmulatedMeterHal.build(clock, load or ConstantLoad(PowerReading.from_net(1000)))
    nvm = NonVolatileMemory(state_dir, durable=False) if state_dir else None
    meter = ElectricityMeter(settings or MeterSettings(), hal, nvm)
    return Rig(meter, hal, clock)
