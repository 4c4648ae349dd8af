"""SVG snapshots of the main states, saved in the test's tmp dir and checked for the text a
technician would read (rules E5, E6, E8, B3, G3)."""

from __future__ import annotations

import html
from pathlib import Path

from widget_app import SIZE, WidgetApp

from display.widgets import CardSlot, CardSlotState, Indicators, RegistersPanel
from display.widgets.buttons import BUDGET_BUTTONS, GAS_BUTTONS
from firmware.budget.blue_cycle import TEST_SCREEN as BUDGET_TEST_SCREEN
from firmware.disconnect_control import ControlState
from firmware.gas.display import LEAK_WARNING, VALVE_CLOSED
from firmware.rules.money import Money
from firmware.screens import RECONNECT_ARROW, SWITCH_OPEN, TEST_FIELDS
from hal.lcd import LcdState
from hal.valve import ValvePosition


def snapshot(app: WidgetApp, folder: Path, name: str) -> str:
    """Save the screen as ``name``.svg and return its text with spaces as spaces."""
    path = app.save_screenshot(f"{name}.svg", path=str(folder))
    return html.unescape(Path(path).read_text(encoding="utf-8")).replace("\xa0", " ")


async def test_snapshot_electricity_test_screen(tmp_path: Path) -> None:  # rule E6
    app = WidgetApp(lcd=LcdState(*TEST_FIELDS, backlight=True))
    async with app.run_test(size=SIZE):
        svg = snapshot(app, tmp_path, "test-screen")
    assert "8.8.8.8.8" in svg and "kWh" in svg and "green [g]" in svg
    assert "play" in svg and "next event" in svg


async def test_snapshot_relay_ready_for_reconnection(tmp_path: Path) -> None:  # rule E8
    ready = LcdState(
        "1.8.1",
        "000021.701",
        "kWh",
        frozenset({SWITCH_OPEN}),
        frozenset({RECONNECT_ARROW}),
        backlight=False,
    )
    app = WidgetApp(lcd=ready)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(Indicators).relay = ControlState.READY_FOR_RECONNECTION
        app.query_one(RegistersPanel).registers = (("1.8.1", 21701),)
        await pilot.pause()
        svg = snapshot(app, tmp_path, "relay-ready")
    assert "relay ready" in svg and "[/ ]" in svg and "000021.701" in svg


async def test_snapshot_budget_meter_card_refused(tmp_path: Path) -> None:  # rules B3, B4
    app = WidgetApp(lcd=BUDGET_TEST_SCREEN, buttons=BUDGET_BUTTONS)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(CardSlot).state = CardSlotState.REFUSED
        app.query_one(RegistersPanel).balance = Money(1_234_000)
        await pilot.pause()
        svg = snapshot(app, tmp_path, "budget-card-refused")
    assert "card refused" in svg and "blue [b]" in svg and "red [r]" in svg
    assert "12.34" in svg and "KWH EUR" in svg


async def test_snapshot_gas_valve_closed_after_failed_leak_test(tmp_path: Path) -> None:  # G3
    gas = LcdState(
        "24.2.1", "000012.345", "m3", frozenset({VALVE_CLOSED, LEAK_WARNING}), backlight=True
    )
    app = WidgetApp(lcd=gas, buttons=GAS_BUTTONS)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(Indicators).valve = ValvePosition.CLOSED
        await pilot.pause()
        svg = snapshot(app, tmp_path, "gas-valve-closed")
    assert "valve closed" in svg and "leak-warning" in svg and "24.2.1" in svg
    assert "m³ [m]" in svg and "€ [e]" in svg
