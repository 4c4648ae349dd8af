"""Relay, valve, breaker and power-limiter indicators; ``None`` hides one a meter has not."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from firmware.disconnect_control import ControlState
from hal.valve import ValvePosition

RELAY_TEXT = {
    ControlState.CONNECTED: "relay closed",
    ControlState.DISCONNECTED: "relay open",
    ControlState.READY_FOR_RECONNECTION: "relay ready",
}


class Indicators(Widget):
    """One lamp per device; each lamp's CSS class names its state (e.g. ``-ready``)."""

    relay: reactive[ControlState | None] = reactive(None, init=False)
    valve: reactive[ValvePosition | None] = reactive(None, init=False)
    breaker_tripped: reactive[bool | None] = reactive(None, init=False)
    limited: reactive[bool] = reactive(False, init=False)

    def compose(self) -> ComposeResult:
        for lamp in ("relay", "valve", "breaker", "limiter"):
            yield Static(id=f"lamp-{lamp}", classes="lamp")

    def on_mount(self) -> None:
        self._draw()

    def watch_relay(self) -> None:
        self._draw()

    def watch_valve(self) -> None:
        self._draw()

    def watch_breaker_tripped(self) -> None:
        self._draw()

    def watch_limited(self) -> None:
        self._draw()

    def _draw(self) -> None:
        relay = None if self.relay is None else RELAY_TEXT[self.relay]
        valve = None if self.valve is None else f"valve {self.valve.value}"
        breaker = None
        if self.breaker_tripped is not None:
            breaker = "breaker tripped" if self.breaker_tripped else "breaker on"
        limiter = "A power limited" if self.limited else None
        self._lamp("relay", relay)
        self._lamp("valve", valve)
        self._lamp("breaker", breaker)
        self._lamp("limiter", limiter)

    def _lamp(self, lamp: str, text: str | None) -> None:
        widget = self.query_one(f"#lamp-{lamp}", Static)
        widget.display = text is not None
        widget.update(text or "")
        widget.set_classes(f"lamp -{(text or 'off').split()[-1]}")
