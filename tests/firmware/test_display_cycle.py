"""The display cycle and LCD (rules E5, E6)."""

from __future__ import annotations

from datetime import timedelta

from meter_rig import WINTER_NOON, build_rig

from firmware.settings import DisplaySettings, MeterSettings


def shown_codes(rig, presses: int) -> list[str]:  # type: ignore[no-untyped-def]
    codes = []
    for _ in range(presses):
        rig.hal.buttons.press("green")
        codes.append(rig.hal.lcd.state.code)
    return codes


def test_green_button_shows_the_test_screen_then_each_item_and_wraps() -> None:  # rule E6
    rig = build_rig()
    codes = shown_codes(rig, 11)
    assert codes == [
        *("8.8.8.8.8", "1.8.1", "1.8.2", "2.8.1", "2.8.2", "96.14.0"),
        *("94.32.2.1", "94.32.2.2", "94.32.2.3", "1.8.1", "1.8.2"),
    ]


def test_the_cycle_is_the_configured_list() -> None:  # rule E6 (ORES-like order)
    display = DisplaySettings(items=("1.8.1", "1.8.2"))
    rig = build_rig(settings=MeterSettings(display=display))
    assert shown_codes(rig, 4) == ["8.8.8.8.8", "1.8.1", "1.8.2", "1.8.1"]


def test_backlight_goes_off_30_s_after_the_last_press() -> None:  # rule E5
    rig = build_rig()
    rig.hal.buttons.press("green")
    assert rig.hal.lcd.state.backlight
    assert rig.meter.next_deadline() == WINTER_NOON + timedelta(seconds=30)
    rig.run_to(WINTER_NOON + timedelta(seconds=29))
    assert rig.hal.lcd.state.backlight
    rig.run_to(WINTER_NOON + timedelta(seconds=30))
    assert not rig.hal.lcd.state.backlight
    assert rig.hal.lcd.state.code == "1.8.1"  # back to scrolling


def test_the_four_indexes_scroll_by_themselves() -> None:  # rule E5
    rig = build_rig()
    seen = []
    for step in range(5):
        rig.run_to(WINTER_NOON + timedelta(seconds=10 * step))
        seen.append(rig.hal.lcd.state.code)
    assert seen == ["1.8.1", "1.8.2", "2.8.1", "2.8.2", "1.8.1"]


def test_lcd_shows_value_unit_and_symbols() -> None:  # rules E1, E5
    rig = build_rig()
    rig.run_to(WINTER_NOON + timedelta(minutes=80))  # 1.8.1 again after 480 s of steps
    state = rig.hal.lcd.state
    assert (state.code, state.value, state.unit) == ("1.8.1", "000001.333", "kWh")
    assert {"L1", "L2", "L3", "P+", "T1"} <= state.symbols
