"""A text rendering of the LCD (code, value, unit, symbols, backlight) for the CLI and TUI."""

from __future__ import annotations

from hal.lcd import LcdState

SYMBOL_ORDER = (
    "A",  # the power limiter, at the left (rule B9)
    "L1",
    "L2",
    "L3",
    "P+",
    "P-",
    "T1",
    "T2",
    "switch-open",
    "reconnect-arrow",
    "euro-arrow",
)
SYMBOL_TEXT = {"switch-open": "[/ ]", "reconnect-arrow": "^", "euro-arrow": "^EUR"}


def render_symbols(state: LcdState) -> str:
    """Symbols in a fixed order; blinking ones wrapped in ``*`` (e.g. ``*^*``)."""
    shown = []
    known = [name for name in SYMBOL_ORDER if name in state.symbols | state.blinking]
    others = sorted((state.symbols | state.blinking) - set(SYMBOL_ORDER))
    for name in known + others:
        text = SYMBOL_TEXT.get(name, name)
        shown.append(f"*{text}*" if name in state.blinking else text)
    return " ".join(shown)


def render_line(state: LcdState) -> str:
    """One line: ``1.8.1     000021.701 kWh | L1 L2 L3 P+ T1 | light``."""
    light = "light" if state.backlight else "dark"
    return (
        f"{state.code:<9} {state.value:>12} {state.unit:<4}| {render_symbols(state):<24} | {light}"
    )


def render_box(state: LcdState) -> str:
    """A small framed LCD: code and symbols above, value and unit below."""
    top = f"{state.code:<10}{render_symbols(state):>24}"
    bottom = f"{state.value:>28} {state.unit:<4}"
    width = max(len(top), len(bottom))
    edge = "+" + ("=" if state.backlight else "-") * (width + 2) + "+"
    return "\n".join((edge, f"| {top:<{width}} |", f"| {bottom:<{width}} |", edge))
