"""The two meters of ``vmeter demo`` on one simulated time line, and the customer's hands.

Both ``VirtualMeter``s run in instant mode, driven by explicit steps (``run_until``) rather
than by ``VirtualMeter.run``: their clocks jump together from firmware deadline to firmware
deadline and stand still while the platform talks to them over MQTT, so what it reads and
orders happens at one simulated instant. After each step the supply's changes (relay, valve,
leak test) are printed as the meters' own lines."""

from __future__ import annotations

from datetime import datetime, timedelta

from emulator.demo_output import say
from emulator.runtime import VirtualMeter
from firmware.disconnect_control import ControlState
from firmware.gas.gas_meter import GasMeter
from firmware.gas.leak_test import LeakTestState
from firmware.meter import ElectricityMeter
from hal.clock import SimulatedClock
from hal.flow_models import ConstantFlow

HOLD_TO_RECONNECT = timedelta(seconds=5)  # rule E8
Supply = tuple[tuple[ControlState, bool], tuple[ControlState, bool], LeakTestState]
"""The relay (control state, closed), the valve (control state, open), the leak test."""
LEAK_TEST_NEWS = {
    LeakTestState.IDLE: "leak test idle",
    LeakTestState.ARMED: "leak test armed: the arrow blinks over its button (G3)",
    LeakTestState.RUNNING: "leak test running: 7600 on the LCD, the valve in test position (G3)",
    LeakTestState.FAILED: "leak test failed: valve closed, retry in 6 minutes (G3)",
    LeakTestState.LOCKED_OUT: "leak test failed twice: locked out, call an installer (M4)",
    LeakTestState.PASSED: "leak test passed: valve open, gas flows (G3)",
}


class DemoWorld:
    def __init__(self, electricity: VirtualMeter, gas: VirtualMeter) -> None:
        self.electricity, self.gas_meter = electricity, gas
        self._clocks = [_simulated(electricity), _simulated(gas)]
        self._seen = self._supply()

    @property
    def meter(self) -> ElectricityMeter:
        return self.electricity.meter

    @property
    def gas(self) -> GasMeter:
        gas = self.gas_meter.gas
        assert gas is not None, "the demo's second meter is a gas meter"
        return gas

    def now(self) -> datetime:
        return self._clocks[0].now()

    def run_until(self, moment: datetime) -> None:
        """Both meters from deadline to deadline up to ``moment``, the news told at each."""
        meters = (self.electricity, self.gas_meter)
        while True:
            deadline = min(m.firmware.next_deadline(include_scroll=False) for m in meters)
            stop = max(min(deadline, moment), self.now())
            for clock, virtual in zip(self._clocks, meters, strict=True):
                clock.advance_to(stop)
                virtual.firmware.advance_to(stop)
            self.tell_news()
            if stop >= moment:
                return

    def pass_time(self, duration: timedelta) -> None:
        self.run_until(self.now() + duration)

    def tell_news(self) -> None:
        """Print what changed in the supply since last told: the relay, the valve, the test
        (after each step, and after each order the platform sent)."""
        (relay, closed), (valve, gas_open), test = self._seen
        supply = self._supply()
        (new_relay, new_closed), (new_valve, new_gas_open), new_test = supply
        now = self.now()
        if (new_relay, new_closed) != (relay, closed):
            state = new_relay.name.lower().replace("_", " ")
            say(now, "meter", f"relay {'closed' if new_closed else 'open'} ({state})")
        if (new_valve, new_gas_open) != (valve, gas_open):
            state = new_valve.name.lower().replace("_", " ")
            say(now, "gas", f"valve {'open' if new_gas_open else 'closed'} ({state})")
        if new_test is not test:
            say(now, "gas", LEAK_TEST_NEWS[new_test])
        self._seen = supply

    def _supply(self) -> Supply:
        relay, valve = self.meter.relay, self.gas.valve
        return (
            (relay.control_state, relay.output_state),
            (valve.control_state, valve.output_state),
            self.gas.leak_test.state,
        )

    # -- the customer's hands --------------------------------------------------------------------

    def hold_green_button(self) -> None:
        """E8: held 5 seconds (the press is reported when the button is let go)."""
        self.pass_time(HOLD_TO_RECONNECT)
        self.electricity.hal.buttons.press("green", HOLD_TO_RECONNECT)
        self.tell_news()

    def press_gas_button(self, button: str) -> None:
        gas_hal = self.gas_meter.gas_hal
        assert gas_hal is not None
        gas_hal.buttons.press(button)
        self.tell_news()

    def set_gas_demand(self, l_per_h: int) -> None:
        """What the installation draws from now on (0: every appliance off)."""
        sensor = self.gas_meter.flow_sensor
        assert sensor is not None
        self.gas.tick()  # the flow so far counts at the old demand
        sensor.set_model(ConstantFlow(l_per_h))
        self.gas.tick()


def _simulated(virtual: VirtualMeter) -> SimulatedClock:
    clock = virtual.simulated_clock
    assert clock is not None, "the demo's meters run in instant mode"
    return clock
