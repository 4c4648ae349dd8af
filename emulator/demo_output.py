"""How ``vmeter demo`` prints its story: one line per thing that happens, stamped with the
simulated local time and who did it (``platform``, ``customer``, ``meter``, ``gas``,
``head-end``, ``broker``), and the two LCDs when their screen changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from display.text import render_line
from firmware.rules.localtime import to_local
from firmware.screens import EXPORTING, IMPORTING, PHASE_SYMBOLS, TARIFF_SYMBOLS
from hal.lcd import LcdState

ACTOR_WIDTH = 9
INDENT = " " * (len("Mon 30/11 08:00  ") + ACTOR_WIDTH + 1)
"""Where a continuation line (an LCD, a list) starts: under the text of a story line."""


def stamp(moment: datetime) -> str:
    """``Mon 30/11 08:00`` in Brussels time (rule M7)."""
    return f"{to_local(moment):%a %d/%m %H:%M}"


def say(moment: datetime, actor: str, text: str) -> None:
    print(f"{stamp(moment)}  {actor:<{ACTOR_WIDTH}} {text}", flush=True)


def more(text: str) -> None:
    """A line belonging to the story line above it."""
    print(f"{INDENT}{text}", flush=True)


NOISE = frozenset({*PHASE_SYMBOLS, IMPORTING, EXPORTING, *TARIFF_SYMBOLS.values()})
"""Symbols that come and go with the load and the tariff hour: not a change of screen."""


@dataclass
class LcdTicker:
    """An LCD listener printing the screen when it changes (the item shown, the switch or
    valve, the arrows, the backlight), not when only the value steps or the load moves: five
    simulated days stay a page long. ``actor`` names the meter (``meter``, ``gas``)."""

    actor: str
    shown: tuple[object, ...] | None = None

    def __call__(self, moment: datetime, state: LcdState) -> None:
        key = (state.code, state.unit, state.symbols - NOISE, state.blinking, state.backlight)
        if key != self.shown:
            self.shown = key
            say(moment, self.actor, f"LCD {render_line(state)}")
