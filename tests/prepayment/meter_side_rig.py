"""A meter in meter-side prepayment mode on a simulated clock (tests/prepayment)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Final

from firmware.logs import EventCode
from firmware.meter import ElectricityMeter
from firmware.nvm import NonVolatileMemory
from firmware.rules.localtime import local_to_utc
from firmware.rules.money import Money
from firmware.rules.tariff import Tariff
from firmware.rules.token import make_token
from firmware.settings import MeterSettings, MeterSideSettings, PrepaymentMode
from hal.bundle import EmulatedMeterHal
from hal.clock import SimulatedClock
from hal.frontend import ConstantLoad, PowerReading

KEY: Final = bytes(range(16))
SERIAL: Final = "VM0000000001"  # the default Identity's serial
PEAK: Final = Money.parse("0.3000")
OFF_PEAK: Final = Money.parse("0.2500")
SETTINGS: Final = MeterSettings(
    prepayment=PrepaymentMode.METER,
    meter_side=MeterSideSettings(
        prices={Tariff.PEAK: PEAK, Tariff.OFF_PEAK: OFF_PEAK}, token_key=KEY
    ),
)
MONDAY: Final = date(2026, 1, 12)
FRIDAY: Final = date(2026, 1, 16)
EUR = Money.parse


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Brussels wall-clock time as a UTC instant (M7)."""
    return local_to_utc(day, time(hour, minute))


def token(seq: int, amount: str, key: bytes = KEY, serial: str = SERIAL) -> str:
    return make_token(key, serial, seq, EUR(amount))


@dataclass
class Rig:
    meter: ElectricityMeter
    hal: EmulatedMeterHal
    clock: SimulatedClock

    def run_to(self, moment: datetime) -> None:
        self.clock.advance_to(moment)
        self.meter.advance_to(moment)

    def run_for(self, duration: timedelta) -> None:
        self.run_to(self.clock.now() + duration)

    def hold_button(self, seconds: int) -> None:
        self.hal.buttons.press("green", timedelta(seconds=seconds))

    def events(self, code: EventCode) -> list[datetime]:
        return [event.timestamp for event in self.meter.events if event.code is code]


def build_rig(
    start: datetime,
    watts: int = 0,
    state_dir: Path | None = None,
    settings: MeterSettings = SETTINGS,
) -> Rig:
    clock = SimulatedClock(start)
    hal = EmulatedMeterHal.build(clock, ConstantLoad(PowerReading.from_net(watts)))
    nvm = NonVolatileMemory(state_dir, durable=False) if state_dir else None
    return Rig(ElectricityMeter(settings, hal, nvm), hal, clock)
