"""SVG snapshots of the main states of ``vmeter tui``, saved in the test's tmp dir and checked
for the text a technician reads (rules E6, E8, B3, B11, G3)."""

from __future__ import annotations

import html
from pathlib import Path

from tui_meter import SIZE, meter_app

from emulator.scenario.model import HeadendCommand
from emulator.tui.app import MeterApp
from firmware.rules.money import Money


def snapshot(app: MeterApp, folder: Path, name: str) -> str:
    """Save the screen as ``name``.svg and return its text with spaces as spaces."""
    path = app.save_screenshot(f"{name}.svg", path=str(folder))
    return html.unescape(Path(path).read_text(encoding="utf-8")).replace("\xa0", " ")


async def test_electricity_test_screen(tmp_path: Path) -> None:  # rule E6
    app = meter_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        svg = snapshot(app, tmp_path, "electricity-test-screen")
    assert "8.8.8.8.8" in svg and "kWh" in svg and "green [g]" in svg
    assert "electricity VM0000000001" in svg and "2026-11-27 10:00:00 CET" in svg
    assert "relay closed" in svg and "1.8.1    000000.000 kWh" in svg
    assert "next event" in svg and "quit" in svg


async def test_relay_ready_for_reconnection(tmp_path: Path) -> None:  # rule E8
    app = meter_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.perform(HeadendCommand("disconnect"))
        await app.perform(HeadendCommand("reconnect"))
        await pilot.pause()
        svg = snapshot(app, tmp_path, "relay-ready")
    assert "relay ready" in svg and "[/ ]" in svg
    assert "head-end reconnect" in svg


async def test_budget_card_loaded_and_foreign_card(tmp_path: Path) -> None:  # rules B3, B11
    app = meter_app("budget")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        svg = snapshot(app, tmp_path, "budget-card-read")
        assert "card inserted" in svg and "blue [b]" in svg and "red [r]" in svg
        assert "card insert 20.00" in svg
        await pilot.press("f")
        svg = snapshot(app, tmp_path, "budget-card-refused")
    assert "card refused" in svg and "of another meter inserted" in svg


async def test_gas_valve_closed_with_the_leak_test_offered(tmp_path: Path) -> None:  # rule G3
    app = meter_app("gas")
    async with app.run_test(size=SIZE) as pilot:
        await app.perform(HeadendCommand("disconnect"))
        await app.perform(HeadendCommand("balance", balance=Money.parse("20.00")))
        await app.perform(HeadendCommand("reconnect"))
        await pilot.pause()
        svg = snapshot(app, tmp_path, "gas-leak-test-offered")
    assert "valve closed" in svg and "valve-closed" in svg and "24.2.1" in svg
    assert "m³ [m]" in svg and "→ [a]" in svg and "balance       20.00 EUR" in svg


async def test_electricity_with_gas_shows_both_meters(tmp_path: Path) -> None:  # E6, G1
    app = meter_app(with_gas=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", "e")
        svg = snapshot(app, tmp_path, "electricity-with-gas")
    assert "gas (M-Bus 1)" in svg and "94.32.2.1" in svg and "green [g]" in svg
    assert "24.2.1    00000.000 m3" in svg and "valve open" in svg
