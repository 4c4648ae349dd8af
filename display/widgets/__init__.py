"""Textual widgets of the terminal UI; each takes plain data (LcdState, tuples, enums), never a
meter. The app that wires them to a running meter lives in ``emulator/``. Styles: ``STYLESHEET``.
"""

from pathlib import Path

from display.widgets.buttons import ButtonStrip, MeterButton
from display.widgets.card_slot import CardSlot, CardSlotState
from display.widgets.event_log import EventLogView
from display.widgets.indicators import Indicators
from display.widgets.lcd import LcdDisplay
from display.widgets.plot import ConsumptionPlot
from display.widgets.registers import RegistersPanel
from display.widgets.replay import ReplayControls

STYLESHEET = Path(__file__).with_name("vmeter.tcss")

__all__ = [
    "STYLESHEET",
    "ButtonStrip",
    "CardSlot",
    "CardSlotState",
    "ConsumptionPlot",
    "EventLogView",
    "Indicators",
    "LcdDisplay",
    "MeterButton",
    "RegistersPanel",
    "ReplayControls",
]
