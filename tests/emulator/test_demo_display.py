"""The demo meter's LCD never lags its registers, however often or rarely the firmware runs.

``advance_to`` redraws the display only when a boundary passed or the screen is due to change
(a scroll step, the backlight, the shown index reaching its next Wh): whatever the sequence of
reads, button presses and relay orders, the LCD shows what the meter holds at that instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.config import RunConfig
from emulator.demo_household import electricity_config
from emulator.runtime import VirtualMeter
from firmware.display_cycle import TEST_SCREEN
from firmware.screens import ITEM_SCREENS, TARIFF_SYMBOLS
from firmware.state import to_ms

START = datetime(2026, 11, 27, 5, tzinfo=UTC)  # 06:00 in Brussels: a tariff switch ahead
MORNING = datetime(2026, 11, 27, 6, 30, tzinfo=UTC)  # 3200 W on the peak tariff, 1.8.1 shown

Step = tuple[str, int]
steps = st.lists(
    st.tuples(
        st.sampled_from(["read", "read", "read", "press", "hold", "disconnect", "reconnect"]),
        st.integers(min_value=0, max_value=40 * 60 * 1000),  # ms until the step
    ),
    max_size=40,
)


def meter_at(start: datetime) -> VirtualMeter:
    config = electricity_config(Path("unused"), start)
    return VirtualMeter(config, RunConfig(instant=True, start=start))


def assert_lcd_is_current(virtual: VirtualMeter) -> None:
    meter, lcd = virtual.meter, virtual.hal.lcd.state
    now_ms = to_ms(virtual.clock.now())
    meter.display.update(now_ms)  # the backlight timeout, as a redraw would apply it
    item = meter.display.current_item(now_ms)
    if item == TEST_SCREEN:
        assert lcd.value == "888888.888"
        return
    assert (lcd.code, lcd.value, lcd.unit) == ITEM_SCREENS[item](meter)
    assert TARIFF_SYMBOLS[meter.tariff] in lcd.symbols
    assert ("P+" in lcd.symbols) == (meter.net_power_w > 0)
    assert ("P-" in lcd.symbols) == (meter.net_power_w < 0)
    assert ("switch-open" in lcd.symbols) == (not meter.relay.output_state)
    assert ("reconnect-arrow" in lcd.blinking) == (
        meter.relay.control_state.name == "READY_FOR_RECONNECTION"
    )


@settings(max_examples=60, deadline=None)
@given(steps)
def test_lcd_shows_the_registers_after_any_sequence_of_steps(sequence: list[Step]) -> None:
    # rules E1 (indexes to the Wh), E5 (display), E6 (button), E8 (hold to reconnect)
    virtual = meter_at(START)
    assert virtual.simulated_clock is not None
    meter, buttons = virtual.meter, virtual.hal.buttons
    for kind, wait_ms in sequence:
        moment = virtual.clock.now() + timedelta(milliseconds=wait_ms)
        virtual.simulated_clock.advance_to(moment)
        if kind == "read":
            meter.registers_for_release()  # what a COSEM GET of an index does
        elif kind == "press":
            buttons.press("green")
        elif kind == "hold":
            buttons.press("green", timedelta(seconds=5))
        elif kind == "disconnect":
            meter.relay.remote_disconnect()
        else:
            meter.relay.remote_reconnect()
        meter.advance_to(moment)  # the run loop's turn after any outside change
        assert_lcd_is_current(virtual)


def test_lcd_follows_every_wh_between_two_deadlines() -> None:
    # rule E1: with reads every second the shown index steps Wh by Wh, never late
    virtual = meter_at(MORNING)
    assert virtual.simulated_clock is not None
    shown = set()
    for second in range(1, 600):
        moment = MORNING + timedelta(seconds=second)
        virtual.simulated_clock.advance_to(moment)
        virtual.meter.advance_to(moment)
        assert_lcd_is_current(virtual)
        shown.add(virtual.hal.lcd.state.value)
    assert len(shown) == 3200 * 600 // 3600  # 3200 W for 600 s
