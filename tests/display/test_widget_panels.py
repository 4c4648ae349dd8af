"""Indicators, registers, the event log and the consumption plot show the data they are given
(rules E8, G3, B9, P4)."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.widgets import Static
from widget_app import SIZE, WidgetApp

from display.widgets import ConsumptionPlot, EventLogView, Indicators, RegistersPanel
from display.widgets.plot import bar_rows
from firmware.disconnect_control import ControlState
from firmware.rules.money import Money
from hal.valve import ValvePosition


def lamp(app: WidgetApp, name: str) -> Static:
    return app.query_one(f"#lamp-{name}", Static)


async def test_indicators_show_relay_valve_breaker_and_limiter() -> None:  # rules E8, G3, B9
    app = WidgetApp()
    async with app.run_test(size=SIZE) as pilot:
        indicators = app.query_one(Indicators)
        assert not lamp(app, "relay").display  # a meter without a relay shows no lamp
        indicators.relay = ControlState.READY_FOR_RECONNECTION
        indicators.valve = ValvePosition.TEST
        indicators.breaker_tripped = True
        indicators.limited = True
        await pilot.pause()
        shown = {name: str(lamp(app, name).render()) for name in ("relay", "valve", "breaker")}
        assert shown == {
            "relay": "relay ready",
            "valve": "valve test",
            "breaker": "breaker tripped",
        }
        assert lamp(app, "relay").has_class("-ready")
        assert lamp(app, "limiter").display
        indicators.relay = ControlState.CONNECTED
        indicators.limited = False
        await pilot.pause()
        assert lamp(app, "relay").has_class("-closed") and not lamp(app, "relay").has_class(
            "-ready"
        )
        assert not lamp(app, "limiter").display


async def test_registers_and_balance_as_on_the_lcd() -> None:  # rules E1, E7
    app = WidgetApp()
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(RegistersPanel)
        assert "----.--" in str(panel.render())  # no update from the platform yet
        panel.registers = (("1.8.1", 21701), ("1.8.2", 3000))
        panel.balance = Money(-345_000)
        await pilot.pause()
        lines = str(panel.render()).splitlines()
        assert lines[0].split() == ["1.8.1", "000021.701", "kWh"]
        assert lines[1].split() == ["1.8.2", "000003.000", "kWh"]
        assert lines[2].split() == ["balance", "-3.45", "EUR"]


async def test_event_log_appends_lines() -> None:
    app = WidgetApp()
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one(EventLogView)
        log.add_event(datetime(2026, 3, 1, 12, tzinfo=UTC), "relay", "click closed")
        log.add_event(datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC), "button:green", "press 0.2s")
        await pilot.pause()
        assert list(log.lines) == [
            "2026-03-01 12:00:00 relay click closed",
            "2026-03-01 12:00:05 button:green press 0.2s",
        ]


async def test_plot_keeps_the_last_24_hours_of_quarters() -> None:
    app = WidgetApp()
    async with app.run_test(size=SIZE) as pilot:
        plot = app.query_one(ConsumptionPlot)
        plot.values = tuple(range(100))
        plot.append(500)
        await pilot.pause()
        assert len(plot.values) == 96
        assert plot.values[0] == 5 and plot.values[-1] == 500
        assert all(row[-1] == "█" for row in plot.bars)  # the peak, newest at the right
        assert "peak 500 Wh" in str(plot.query_one("#plot-caption", Static).render())


def test_bars_rise_from_zero() -> None:
    assert bar_rows((125, 125), 2) == ["██", "██"]  # an even load: full bars, not a flat line
    assert bar_rows((0, 50, 100), 2) == ["  █", " ██"]
    assert bar_rows((0, 25, 100), 1) == [" ▂█"]
    assert bar_rows((), 3) == ["", "", ""]
