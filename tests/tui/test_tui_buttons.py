"""Pressing the meter's buttons in the terminal UI changes its LCD as the rules say (E6, E8,
B5, B8, G1, G2, G3), by key and by mouse."""

from __future__ import annotations

from datetime import timedelta

from tui_meter import (
    SIZE,
    START,
    lamp,
    lcd_fields,
    log_text,
    meter_app,
    meter_config,
    next_event,
    until_lcd,
)

from display.widgets import LcdDisplay
from emulator.scenario.model import HeadendCommand
from emulator.tui.app import MeterApp
from firmware.budget.blue_cycle import TRIANGLE
from firmware.disconnect_control import ControlState
from firmware.gas.display import LEAK_WARNING, VALVE_CLOSED, VALVE_OPEN, leak_test_arrow
from firmware.rules.money import Money
from firmware.screens import RECONNECT_ARROW, SWITCH_OPEN


async def cut_and_enable_the_valve(app: MeterApp) -> None:
    """The head-end cuts the gas, sends a balance above 0.50 EUR and enables it again (G4)."""
    await app.perform(HeadendCommand("disconnect"))
    await app.perform(HeadendCommand("balance", balance=Money.parse("20.00")))
    await app.perform(HeadendCommand("reconnect"))


async def test_green_button_steps_through_the_display_cycle() -> None:  # rule E6
    app = meter_app()
    async with app.run_test(size=SIZE) as pilot:
        codes = []
        for _ in range(3):
            await pilot.press("g")
            codes.append(lcd_fields(app)[0])
        await pilot.click("#button-green")
        await pilot.pause()
        codes.append(lcd_fields(app)[0])
        assert codes == ["8.8.8.8.8", "1.8.1", "1.8.2", "2.8.1"]
        assert app.query_one("#lcd", LcdDisplay).has_class("-lit")


async def test_holding_green_reconnects_a_meter_ready_for_it() -> None:  # rule E8
    app = meter_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.perform(HeadendCommand("disconnect"))
        await app.perform(HeadendCommand("reconnect"))
        await pilot.pause()
        assert lamp(app, "relay") == "relay ready"
        lcd = app.virtual.hal.lcd.state
        assert RECONNECT_ARROW in lcd.blinking and SWITCH_OPEN in lcd.symbols
        await pilot.press("g")  # a short press only moves the display
        assert app.virtual.meter.relay.control_state is ControlState.READY_FOR_RECONNECTION
        await pilot.press("G")  # shift+g: the 5 s hold
        await pilot.pause()
        assert lamp(app, "relay") == "relay closed"
        assert RECONNECT_ARROW not in app.virtual.hal.lcd.state.blinking
        assert "relay click closed" in log_text(app)


async def test_red_button_grants_the_emergency_credit_when_low() -> None:  # rule B5
    low = meter_config("budget", edits={"reserve_kwh: 150": "reserve_kwh: 1"})
    app = meter_app(config=low)
    async with app.run_test(size=SIZE) as pilot:
        assert TRIANGLE in app.virtual.hal.lcd.state.blinking  # low credit: blinking triangle
        await pilot.click("#button-red")
        await pilot.pause()
        state = app.virtual.hal.lcd.state
        assert TRIANGLE in state.symbols and TRIANGLE not in state.blinking  # steady
        assert lcd_fields(app)[:2] == ("1", "12.00")  # B6 item 1: emergency credit left


async def test_blue_button_walks_the_budget_items() -> None:  # rule B8
    app = meter_app("budget")
    async with app.run_test(size=SIZE) as pilot:
        shown = []
        for _ in range(4):
            await pilot.press("b")
            shown.append(lcd_fields(app)[:2])
        assert shown == [
            ("8.8.8.8.8", "888888.888"),
            ("2", "10:00:00"),  # B8 item 2: local time
            ("3", "27/11/2026"),
            ("4", "[2] 0.00"),  # total amount ever loaded
        ]


async def test_gas_strip_prepayment_menu_and_home() -> None:  # rules G1, G2
    app = meter_app("gas")
    async with app.run_test(size=SIZE) as pilot:
        assert lcd_fields(app) == ("24.2.1", "00000.000", "m3")
        await pilot.press("e")  # any button first wakes the screen (G1)
        assert app.virtual.hal.lcd.state.backlight
        codes = []
        for key in "eaam":
            await pilot.press(key)
            codes.append(lcd_fields(app)[0])
        assert codes == ["94.32.2.1", "94.32.2.2", "94.32.2.3", "24.2.1"]


async def test_leak_test_starts_under_the_blinking_arrow_and_reopens() -> None:  # rule G3
    no_gas_drawn = meter_config("gas", edits={"l_per_h: 300": "l_per_h: 0"})
    app = meter_app(config=no_gas_drawn)
    async with app.run_test(size=SIZE) as pilot:
        await cut_and_enable_the_valve(app)
        await pilot.pause()
        state = app.virtual.hal.lcd.state
        assert VALVE_CLOSED in state.symbols and leak_test_arrow("arrow") in state.blinking
        assert lamp(app, "valve") == "valve closed"
        await pilot.click("#button-arrow")
        await pilot.pause()
        assert lamp(app, "valve") == "valve test"
        await until_lcd(app, pilot, "24.2.1")  # the test ran its course with no flow
        assert VALVE_OPEN in app.virtual.hal.lcd.state.symbols
        assert lamp(app, "valve") == "valve open"


async def test_leak_test_with_gas_flowing_fails() -> None:  # rule G3
    app = meter_app("gas")  # 300 l/h still drawn: a leak
    async with app.run_test(size=SIZE) as pilot:
        await cut_and_enable_the_valve(app)
        await pilot.press("a")
        assert LEAK_WARNING in app.virtual.hal.lcd.state.symbols
        assert lamp(app, "valve") == "valve closed"
        await next_event(app, pilot)  # 6 minutes later the test may be retried
        state = app.virtual.hal.lcd.state
        assert LEAK_WARNING not in state.symbols and leak_test_arrow("arrow") in state.blinking
        assert app.virtual.clock.now() >= START + timedelta(minutes=6)


async def test_with_gas_two_lcds_and_two_strips() -> None:  # rules E6, G1
    app = meter_app(with_gas=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g", "e", "e")
        assert lcd_fields(app)[0] == "8.8.8.8.8"
        assert lcd_fields(app, "gas-lcd")[0] == "94.32.2.1"
        await pilot.click("#gas-strip #button-m3")
        await pilot.pause()
        assert lcd_fields(app, "gas-lcd")[0] == "24.2.1"
        assert lcd_fields(app)[0] == "8.8.8.8.8"  # the electricity meter did not see it
