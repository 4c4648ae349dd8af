"""A gas meter on emulated devices, driven by a simulated clock (shared by tests/gas)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from firmware.gas.gas_meter import GasMeter, GasSettings
from firmware.gas.leak_test import LeakTestState
from firmware.nvm import NonVolatileMemory
from firmware.prepayment.meter_side import account_config
from firmware.rules.money import Money
from firmware.rules.tariff import Tariff
from firmware.rules.token import make_token
from firmware.settings import MeterSideSettings, PrepaymentMode
from hal.buttons import EmulatedButtons
from hal.clock import SimulatedClock
from hal.flow_models import ConstantFlow, FlowModel, ModelledFlowSensor
from hal.lcd import EmulatedLcd
from hal.valve import EmulatedValve, ValvePosition

WINTER_NOON = datetime(2026, 1, 14, 11, 0, tzinfo=UTC)
NO_LEAK = ConstantFlow(0)
SERIAL = "VM0000000001"
LEAK = ConstantFlow(120)  # a cooker left on: well above the 30 l/h threshold


@dataclass
class GasRig:
    clock: SimulatedClock
    valve: EmulatedValve
    sensor: ModelledFlowSensor
    lcd: EmulatedLcd
    buttons: EmulatedButtons
    meter: GasMeter

    def run_until(self, moment: datetime) -> None:
        """Move the clock to ``moment``, stopping at each of the meter's deadlines on the way
        (as the emulator's runner does)."""
        while (deadline := self.meter.next_deadline()) <= moment:
            self.clock.advance_to(deadline)
            self.meter.tick()
        self.clock.advance_to(moment)
        self.meter.tick()

    def wait(self, duration: timedelta) -> None:
        self.run_until(self.clock.now() + duration)

    def set_demand(self, model: FlowModel) -> None:
        """The installation starts drawing ``model`` now (a leak starts or stops)."""
        self.meter.tick()
        self.sensor.set_model(model)
        self.meter.tick()

    def press(self, button: str) -> None:
        self.buttons.press(button)

    def cut(self) -> None:
        """A prepayment cut (rule M2) with the installation drawing nothing."""
        assert self.meter.remote_disconnect().accepted

    def position(self) -> ValvePosition:
        """The valve's position now (a method: each call reads it afresh)."""
        return self.valve.position

    def test_state(self) -> LeakTestState:
        return self.meter.leak_test.state

    @property
    def symbols(self) -> frozenset[str]:
        return self.lcd.state.symbols

    @property
    def blinking(self) -> frozenset[str]:
        return self.lcd.state.blinking


def build_gas_rig(
    settings: GasSettings | None = None,
    demand: FlowModel = NO_LEAK,
    start: datetime = WINTER_NOON,
    valve_position: ValvePosition = ValvePosition.OPEN,
    nvm: NonVolatileMemory | None = None,
) -> GasRig:
    clock = SimulatedClock(start)
    valve = EmulatedValve(clock, valve_position)
    sensor = ModelledFlowSensor(clock, valve, demand)
    lcd = EmulatedLcd(clock)
    buttons = EmulatedButtons(clock)
    meter = GasMeter(clock, valve, sensor, lcd, buttons, settings, nvm)
    return GasRig(clock, valve, sensor, lcd, buttons, meter)


def meter_side_settings(price_per_m3: str = "1.0000") -> GasSettings:
    """Meter-side prepayment (rule M5) at one price per m3, as ``vmeter run`` builds it."""
    prices = dict.fromkeys(Tariff, Money.parse(price_per_m3))
    account = account_config(SERIAL, MeterSideSettings(), prices, power_limiter=False)
    return GasSettings(prepayment=PrepaymentMode.METER, account=account)


def token(seq: int, amount: str) -> str:
    """A top-up token for the rig's meter (the default all-zero key)."""
    return make_token(bytes(16), SERIAL, seq, Money.parse(amount))
