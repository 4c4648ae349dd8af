"""The LCD widget shows what hal/lcd says and redraws when it changes (rules E5, E6, B9)."""

from __future__ import annotations

from textual.widgets import Digits, Static
from widget_app import SIZE, WidgetApp

from display.widgets import LcdDisplay
from firmware.gas.display import VALVE_OPEN, leak_test_arrow
from firmware.rules.tariff import Tariff
from firmware.screens import (
    EURO_ARROW,
    IMPORTING,
    LIMITER,
    PHASE_SYMBOLS,
    RECONNECT_ARROW,
    SWITCH_OPEN,
    TARIFF_SYMBOLS,
    TEST_FIELDS,
)
from hal.lcd import LcdState

TEST_SCREEN = LcdState(*TEST_FIELDS, backlight=True)
INDEX = LcdState(
    "1.8.1",
    "000021.701",
    "kWh",
    frozenset({*PHASE_SYMBOLS, IMPORTING, TARIFF_SYMBOLS[Tariff.PEAK], EURO_ARROW}),
    backlight=True,
)


def fields(lcd: LcdDisplay) -> tuple[str, str, str]:
    code = str(lcd.query_one("#lcd-code", Static).render())
    unit = str(lcd.query_one("#lcd-unit", Static).render())
    return code, lcd.query_one("#lcd-value", Digits).value, unit


async def test_test_screen_shows_all_segments() -> None:  # rule E6
    app = WidgetApp(lcd=TEST_SCREEN)
    async with app.run_test(size=SIZE):
        lcd = app.query_one(LcdDisplay)
        assert fields(lcd) == ("8.8.8.8.8", "888888.888", "kWh")


async def test_symbols_in_fixed_order_with_limiter_at_the_left() -> None:  # rules E5, B9
    app = WidgetApp(lcd=INDEX)
    async with app.run_test(size=SIZE) as pilot:
        lcd = app.query_one(LcdDisplay)
        lcd.state = LcdState("1.8.1", "000021.701", "kWh", INDEX.symbols | {LIMITER})
        await pilot.pause()
        assert lcd.shown_symbols.startswith("A L1 L2 L3 P+ T1")
        assert "EUR" in lcd.shown_symbols


async def test_redraws_when_the_state_changes() -> None:  # rule E5
    app = WidgetApp(lcd=TEST_SCREEN)
    async with app.run_test(size=SIZE) as pilot:
        lcd = app.query_one(LcdDisplay)
        lcd.state = INDEX
        await pilot.pause()
        assert fields(lcd) == ("1.8.1", "000021.701", "kWh")
        lcd.state = LcdState("1.8.2", "000003.000", "kWh")
        await pilot.pause()
        assert fields(lcd) == ("1.8.2", "000003.000", "kWh")


async def test_blinking_reconnect_arrow_blanks_without_moving_the_others() -> None:  # rule E8
    ready = LcdState(
        "1.8.1",
        "000021.701",
        "kWh",
        frozenset({"L1", SWITCH_OPEN}),
        frozenset({RECONNECT_ARROW}),
    )
    app = WidgetApp(lcd=ready)
    async with app.run_test(size=SIZE) as pilot:
        lcd = app.query_one(LcdDisplay)
        lcd.blink_phase = True
        await pilot.pause()
        lit = lcd.shown_symbols
        lcd.toggle_blink()
        await pilot.pause()
        dark = lcd.shown_symbols
        assert "^" in lit and "^" not in dark
        assert len(lit) == len(dark)
        assert dark.startswith("L1 [/ ]")


async def test_gas_symbols_and_leak_test_arrow() -> None:  # rules G1, G3
    armed = LcdState(
        "24.2.1",
        "000012.345",
        "m3",
        frozenset({VALVE_OPEN}),
        frozenset({leak_test_arrow("m3")}),
    )
    app = WidgetApp(lcd=armed)
    async with app.run_test(size=SIZE):
        lcd = app.query_one(LcdDisplay)
        lcd.blink_phase = True
        assert VALVE_OPEN in lcd.shown_symbols
        assert leak_test_arrow("m3") in lcd.shown_symbols


async def test_backlight_off_styles_the_lcd_dark() -> None:  # rule E5: backlight off after 30 s
    app = WidgetApp(lcd=INDEX)
    async with app.run_test(size=SIZE) as pilot:
        lcd = app.query_one(LcdDisplay)
        assert lcd.has_class("-lit") and not lcd.has_class("-dark")
        lit_background = lcd.styles.background
        lcd.state = LcdState("1.8.1", "000021.701", "kWh", INDEX.symbols, backlight=False)
        await pilot.pause()
        assert lcd.has_class("-dark") and not lcd.has_class("-lit")
        assert lcd.styles.background != lit_background
