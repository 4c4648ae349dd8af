"""The liquid-crystal display: a code field, a value field, a unit, symbols and a backlight."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from hal.clock import Clock


@dataclass(frozen=True)
class LcdState:
    """What the LCD shows. ``symbols`` are steady, ``blinking`` blink (e.g. the arrow above the
    switch symbol when the relay is ready for reconnection, rule E5; the arrow above the euro
    sign is steady while prepayment is active; the letter ``A`` at the left while a power limiter
    limits the supply, rule B9). Symbol names: ``firmware.screens``."""

    code: str = ""
    value: str = ""
    unit: str = ""
    symbols: frozenset[str] = frozenset()
    blinking: frozenset[str] = frozenset()
    backlight: bool = False


class Lcd(Protocol):
    def show(self, state: LcdState) -> None:
        """Display ``state`` (replacing what was shown)."""
        ...


LcdListener = Callable[[datetime, LcdState], None]


@dataclass
class EmulatedLcd:
    """An LCD keeping its current state and the timestamped history of changes; listeners are
    called on each change (the CLI prints them, the TUI draws them)."""

    clock: Clock
    state: LcdState = field(default_factory=LcdState)
    history: list[tuple[datetime, LcdState]] = field(default_factory=list)
    listeners: list[LcdListener] = field(default_factory=list)
    keep_history: bool = True

    def show(self, state: LcdState) -> None:
        if state == self.state:
            return
        self.state = state
        now = self.clock.now()
        if self.keep_history:
            self.history.append((now, state))
        for listener in self.listeners:
            listener(now, state)
