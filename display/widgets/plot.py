"""A live bar sparkline of the last 24 h of 15-minute consumption (96 values, Wh)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Sparkline, Static

QUARTERS_PER_DAY = 96


class ConsumptionPlot(Widget):
    """``values``: Wh per quarter hour, oldest first; only the last 96 are kept and drawn."""

    values: reactive[tuple[int, ...]] = reactive((), init=False)

    def compose(self) -> ComposeResult:
        yield Static(id="plot-caption")
        yield Sparkline([], id="plot-bars")

    def on_mount(self) -> None:
        self.watch_values(self.values)

    def validate_values(self, values: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(values[-QUARTERS_PER_DAY:])

    def append(self, wh: int) -> None:
        self.values = (*self.values, wh)

    def watch_values(self, values: tuple[int, ...]) -> None:
        peak = max(values, default=0)
        caption = f"last 24 h, 15 min: {sum(values)} Wh, peak {peak} Wh/15 min"
        self.query_one("#plot-caption", Static).update(caption)
        self.query_one("#plot-bars", Sparkline).data = list(values)
