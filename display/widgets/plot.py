"""A live bar chart of the last 24 h of 15-minute consumption (96 values, Wh; or dm3 for a
gas meter), one column per quarter hour, the newest at the right. Bars rise from zero (an
even load draws even, full-height bars, not the flat line a min-to-max scale would)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

QUARTERS_PER_DAY = 96
EIGHTHS = " ▁▂▃▄▅▆▇█"  # a character cell filled from the bottom in eighths


def bar_rows(values: tuple[int, ...], rows: int) -> list[str]:
    """``rows`` lines of text, top first, one column per value scaled from 0 to the peak."""
    peak = max(values, default=0)
    heights = [max(value, 0) * rows * 8 // peak if peak > 0 else 0 for value in values]
    return [
        "".join(EIGHTHS[min(max(height - row * 8, 0), 8)] for height in heights)
        for row in reversed(range(rows))
    ]


class ConsumptionPlot(Widget):
    """``values``: ``unit`` (Wh, dm3) per quarter hour, oldest first; only the last 96 are
    kept, and as many of the newest as the width allows are drawn."""

    values: reactive[tuple[int, ...]] = reactive((), init=False)

    def __init__(self, unit: str = "Wh", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.unit = unit

    def compose(self) -> ComposeResult:
        yield Static(id="plot-caption")
        yield Static(id="plot-bars", markup=False)

    def on_mount(self) -> None:
        self.watch_values(self.values)

    def on_resize(self) -> None:
        self.watch_values(self.values)

    def validate_values(self, values: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(values[-QUARTERS_PER_DAY:])

    def append(self, wh: int) -> None:
        self.values = (*self.values, wh)

    @property
    def bars(self) -> list[str]:
        """The bars as drawn, top row first."""
        area = self.query_one("#plot-bars", Static).content_size
        shown = self.values[-area.width :] if area.width else self.values
        return bar_rows(shown, max(area.height, 1))

    def watch_values(self, values: tuple[int, ...]) -> None:
        peak = max(values, default=0)
        unit = self.unit
        caption = f"last 24 h, 15 min: {sum(values)} {unit}, peak {peak} {unit}/15 min"
        self.query_one("#plot-caption", Static).update(caption)
        self.query_one("#plot-bars", Static).update("\n".join(self.bars))
