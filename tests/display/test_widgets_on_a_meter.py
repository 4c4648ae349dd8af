"""The widgets on a real electricity meter (simulated clock, emulated hardware): a pressed
ButtonStrip button reaches the firmware and the LCD it drives shows in LcdDisplay (rule E6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.widgets import Digits, Static
from widget_app import SIZE, WidgetApp

from display.widgets import ButtonStrip, LcdDisplay
from firmware.meter import ElectricityMeter
from firmware.settings import MeterSettings
from hal.bundle import EmulatedMeterHal
from hal.clock import SimulatedClock
from hal.frontend import ConstantLoad, PowerReading
from hal.lcd import LcdState

WINTER_NOON = datetime(2026, 1, 14, 11, 0, tzinfo=UTC)


class MeterApp(WidgetApp):
    """The demo app wired the way the emulator will: presses to hal buttons, LCD to widget."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = SimulatedClock(WINTER_NOON)
        self.hal = EmulatedMeterHal.build(self.clock, ConstantLoad(PowerReading.from_net(1000)))
        self.meter = ElectricityMeter(MeterSettings(), self.hal, None)
        self.hal.lcd.listeners.append(lambda _at, state: self.show(state))

    def show(self, state: LcdState) -> None:
        self.query_one(LcdDisplay).state = state

    def on_button_strip_pressed(self, message: ButtonStrip.Pressed) -> None:
        self.hal.buttons.press(message.button, message.duration)


def shown(app: MeterApp) -> tuple[str, str]:
    lcd = app.query_one(LcdDisplay)
    return str(lcd.query_one("#lcd-code", Static).render()), lcd.query_one(Digits).value


async def test_green_presses_walk_the_display_cycle_on_screen() -> None:  # rule E6
    app = MeterApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await pilot.pause()
        assert shown(app) == ("8.8.8.8.8", "888888.888")
        await pilot.click("#button-green")
        await pilot.pause()
        assert shown(app)[0] == "1.8.1"
        assert app.query_one(LcdDisplay).has_class("-lit")


async def test_backlight_off_after_30_s_shows_dark() -> None:  # rule E5
    app = MeterApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        app.clock.advance_to(WINTER_NOON + timedelta(seconds=31))
        app.meter.advance_to(WINTER_NOON + timedelta(seconds=31))
        await pilot.pause()
        assert app.query_one(LcdDisplay).has_class("-dark")
