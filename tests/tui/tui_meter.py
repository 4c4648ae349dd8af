"""A ``MeterApp`` on a meter of each kind, paused at a fixed start, no service, no state
directory; the tests move its clock with the replay controls."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from textual.pilot import Pilot
from textual.widgets import Digits, Static

from display.widgets import EventLogView, LcdDisplay
from emulator.config import MeterConfig, default_config_text, parse_config
from emulator.runtime import VirtualMeter
from emulator.tui.app import MeterApp

SIZE = (120, 44)
START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # a Friday, 10:00 in Brussels


def meter_config(
    kind: str = "electricity", *, with_gas: bool = False, edits: dict[str, str] | None = None
) -> MeterConfig:
    """The default configuration of ``kind``; ``edits`` replace lines of its text."""
    text = default_config_text(kind)
    for old, new in (edits or {}).items():
        assert old in text
        text = text.replace(old, new)
    config = parse_config(text)
    run = replace(config.run, start=START, speed=1.0, instant=False, with_gas=with_gas)
    communication = replace(config.communication, tcp=None)
    return replace(config, run=run, communication=communication)


def meter_app(
    kind: str = "electricity", *, with_gas: bool = False, config: MeterConfig | None = None
) -> MeterApp:
    """A paused app with no timers of its own: the tests redraw through ``refresh_view``."""
    config = config or meter_config(kind, with_gas=with_gas)
    virtual = VirtualMeter(config, config.run)
    return MeterApp(virtual, config, start_paused=True, blink_interval_s=None, refresh_s=3600)


def lcd_fields(app: MeterApp, lcd_id: str = "lcd") -> tuple[str, str, str]:
    """Code, value and unit as drawn on the LCD widget."""
    lcd = app.query_one(f"#{lcd_id}", LcdDisplay)
    code = str(lcd.query_one("#lcd-code", Static).render())
    unit = str(lcd.query_one("#lcd-unit", Static).render())
    return code, lcd.query_one("#lcd-value", Digits).value, unit


async def next_event(app: MeterApp, pilot: Pilot[None], times: int = 1) -> None:
    """Press ``n`` (jump to the next event) ``times`` times, each to its end."""
    for _ in range(times):
        await pilot.press("n")
        await app.replay_done()
    await pilot.pause()


async def until_lcd(app: MeterApp, pilot: Pilot[None], code: str, limit: int = 100) -> None:
    """Jump event by event until the LCD's code field shows ``code``."""
    for _ in range(limit):
        if app.virtual.hal.lcd.state.code == code:
            await pilot.pause()
            return
        await next_event(app, pilot)
    raise AssertionError(f"the LCD never showed {code!r}: {app.virtual.hal.lcd.state}")


def log_text(app: MeterApp) -> str:
    """The event log's lines."""
    return "\n".join(app.query_one(EventLogView).lines)


def status(app: MeterApp) -> str:
    """The status line: kind, serial, local time, speed, playing or paused."""
    return str(app.query_one("#status", Static).render())


def lamp(app: MeterApp, name: str) -> str:
    """An indicator lamp's text (``relay ready``, ``valve closed``...)."""
    return str(app.query_one(f"#lamp-{name}", Static).render())
