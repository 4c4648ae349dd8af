"""The LCD drawn like the real one: the code field top left, the symbol row, a large
seven-segment value with its unit, blinking symbols and the backlight (rules E5, E6)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Digits, Static

from display.text import SYMBOL_ORDER, SYMBOL_TEXT
from hal.lcd import LcdState

BLINK_INTERVAL_S = 0.5


def symbol_row(state: LcdState, blink_phase: bool) -> Text:
    """The symbols in a fixed order (``A`` at the left, rule B9); in the dark half of a blink
    a blinking symbol leaves blanks so the others keep their places, as segments do."""
    lit = state.symbols | state.blinking
    names = [name for name in SYMBOL_ORDER if name in lit] + sorted(lit - set(SYMBOL_ORDER))
    row = Text()
    for index, name in enumerate(names):
        if index:
            row.append(" ")
        text = SYMBOL_TEXT.get(name, name)
        if name in state.blinking and name not in state.symbols:
            row.append(text if blink_phase else " " * len(text), style="bold")
        else:
            row.append(text)
    return row


class LcdDisplay(Widget):
    """Shows ``state``; assigning a new ``LcdState`` redraws it. Blinking symbols flash on a
    timer; ``blink_phase`` is the half of the blink being shown. ``blink_interval_s=None``
    stops the timer (tests then drive ``toggle_blink`` themselves)."""

    state: reactive[LcdState] = reactive(LcdState(), init=False)
    blink_phase: reactive[bool] = reactive(True, init=False)

    def __init__(
        self,
        state: LcdState | None = None,
        *,
        blink_interval_s: float | None = BLINK_INTERVAL_S,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._initial = state or LcdState()
        self._blink_interval_s = blink_interval_s

    def compose(self) -> ComposeResult:
        with Horizontal(id="lcd-top"):
            yield Static(id="lcd-code", markup=False)
            yield Static(id="lcd-symbols")
        with Horizontal(id="lcd-bottom"):
            yield Digits(id="lcd-value")
            yield Static(id="lcd-unit", markup=False)

    def on_mount(self) -> None:
        if self._blink_interval_s is not None:
            self.set_interval(self._blink_interval_s, self.toggle_blink)
        self.state = self._initial
        self._draw(self.state)

    def toggle_blink(self) -> None:
        self.blink_phase = not self.blink_phase

    @property
    def shown_symbols(self) -> str:
        """The symbol row as currently drawn (blinking ones blank in the dark half)."""
        return symbol_row(self.state, self.blink_phase).plain

    def watch_state(self, state: LcdState) -> None:
        self._draw(state)

    def watch_blink_phase(self) -> None:
        self.query_one("#lcd-symbols", Static).update(symbol_row(self.state, self.blink_phase))

    def _draw(self, state: LcdState) -> None:
        self.query_one("#lcd-code", Static).update(state.code)
        self.query_one("#lcd-value", Digits).update(state.value)
        self.query_one("#lcd-unit", Static).update(state.unit)
        self.query_one("#lcd-symbols", Static).update(symbol_row(state, self.blink_phase))
        self.set_class(state.backlight, "-lit")
        self.set_class(not state.backlight, "-dark")
