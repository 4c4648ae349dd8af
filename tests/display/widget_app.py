"""A demo app composing every display widget, for the pilot tests only; it records the
messages the widgets post so tests can assert on them."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from textual import on
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message

from display.widgets import (
    STYLESHEET,
    ButtonStrip,
    CardSlot,
    ConsumptionPlot,
    EventLogView,
    Indicators,
    LcdDisplay,
    RegistersPanel,
    ReplayControls,
)
from display.widgets.buttons import ELECTRICITY_BUTTONS
from hal.lcd import LcdState

SIZE = (100, 40)  # room for every widget without scrolling


class WidgetApp(App[None]):
    CSS_PATH = STYLESHEET
    CSS = "Horizontal, Vertical { height: auto; }"

    def __init__(
        self,
        lcd: LcdState | None = None,
        buttons: Sequence[str] = ELECTRICITY_BUTTONS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._monotonic = monotonic
        self._lcd = lcd
        self._buttons = buttons
        self.received: list[Message] = []

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical():
                # the tests drive the blink, so no timer flips it under them
                yield LcdDisplay(self._lcd, blink_interval_s=None, id="lcd")
                yield ButtonStrip(self._buttons, monotonic=self._monotonic, id="strip")
                yield CardSlot(id="slot")
            yield RegistersPanel(id="registers")
        yield Indicators(id="indicators")
        yield ConsumptionPlot(id="plot")
        yield EventLogView(id="log")
        yield ReplayControls(id="replay")

    def on_mount(self) -> None:
        self.query_one(ButtonStrip).focus()

    @on(ButtonStrip.Pressed)
    @on(CardSlot.Insert)
    @on(CardSlot.Remove)
    @on(ReplayControls.Play)
    @on(ReplayControls.Pause)
    @on(ReplayControls.Step)
    @on(ReplayControls.NextEvent)
    @on(ReplayControls.SpeedChanged)
    def record(self, message: Message) -> None:
        self.received.append(message)
