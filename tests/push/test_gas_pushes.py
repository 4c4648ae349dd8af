"""The gas meter's event pushes (0-1:25.9.0.255): its P9 notices and leak-test results (rules
P9, G3, G4, M4), decoded by the head-end as gas events with the valve's state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drained_pushes import drained

from emulator.config import RunConfig, default_config_text, parse_config
from emulator.gas_binding import build_gas_logical_device
from emulator.push_binding import gas_pushes
from emulator.runtime import VirtualMeter
from firmware.rules.money import Money
from firmware.rules.token import make_token
from hal.flow_models import ConstantFlow
from headend.push_codes import PushEventCode as Code
from headend.push_events import GAS_PUSH_SETUP
from headend.watch import event_line

# Wednesday 14 January 2026, 10:00 in Brussels: outside the non-disconnect period.
START = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)
SERIAL = "VM0000000001"
COOKING_L_PER_H = 2500  # 2.50 EUR an hour at 1 EUR/m3
LEAK_TEST_S = 360


def prepaid_gas_meter() -> VirtualMeter:
    text = default_config_text("gas")
    text = text.replace("mode: central", "mode: meter").replace('"0.8500"', '"1.0000"')
    text = text.replace("l_per_h: 300", f"l_per_h: {COOKING_L_PER_H}")
    config = parse_config(text)
    runtime = VirtualMeter(config, RunConfig(instant=True, start=START))
    build_gas_logical_device(runtime, config)
    return runtime


async def test_a_cut_gas_meter_pushes_top_up_then_the_leak_test_result() -> None:
    # rules P3, P4, P5, P8, G4, G3: 20 EUR + 15 EUR emergency, then a cut at 08:00
    runtime = prepaid_gas_meter()
    assert runtime.gas is not None and runtime.gas_hal is not None
    queue = gas_pushes(runtime, channel=0).queue
    await runtime.run(until=START + timedelta(days=1))
    assert runtime.flow_sensor is not None
    runtime.gas.enter_token(make_token(bytes(16), SERIAL, 1, Money.parse("40.00")))
    runtime.flow_sensor.set_model(ConstantFlow(0))  # appliances off: no leak
    runtime.gas_hal.buttons.press("arrow")  # the customer starts the leak test (G3)
    await runtime.run(until=runtime.clock.now() + timedelta(seconds=LEAK_TEST_S + 60))

    events = drained(queue)
    assert {event.push_setup for event in events} == {GAS_PUSH_SETUP}
    assert [event.code for event in events] == [
        Code.POWER_UP,
        Code.LOW_CREDIT,
        Code.EMERGENCY_CREDIT_STARTED,
        Code.DISCONNECTION_IMMINENT,  # used up in the evening: cut at 08:00 (P4, P5)
        Code.DISCONNECTED,
        Code.TOP_UP_RECEIVED,
        Code.RECONNECTION_ENABLED,
        Code.LEAK_TEST_PASSED,
    ]
    cut, passed = events[4], events[-1]
    assert (cut.switch, cut.supply) == ("valve", "disconnected")
    assert (passed.supply, passed.energy) == ("connected", "gas")
    assert "leak test 1 passed" in passed.text
    assert f'{SERIAL} gas  leak test passed  "leak test 1 passed' in event_line(passed)
