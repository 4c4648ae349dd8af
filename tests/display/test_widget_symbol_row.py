"""The LCD's symbol row: blinking symbols blank out without moving the steady ones (rule E5)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from display.widgets.lcd import symbol_row
from firmware.gas.display import LEAK_WARNING, VALVE_CLOSED, VALVE_OPEN
from firmware.screens import ALL_SYMBOLS
from hal.lcd import LcdState

NAMES = sorted(ALL_SYMBOLS | {VALVE_OPEN, VALVE_CLOSED, LEAK_WARNING, "triangle"})
names = st.frozensets(st.sampled_from(NAMES))


@settings(max_examples=60)
@given(steady=names, blinking=names)
def test_dark_half_of_a_blink_keeps_the_row_in_place(
    steady: frozenset[str], blinking: frozenset[str]
) -> None:  # rule E5
    state = LcdState(symbols=steady, blinking=blinking)
    lit = symbol_row(state, blink_phase=True).plain
    dark = symbol_row(state, blink_phase=False).plain
    assert len(lit) == len(dark)
    steady_only = symbol_row(LcdState(symbols=steady), blink_phase=True).plain
    assert dark.split() == steady_only.split()
    for left, right in zip(lit, dark, strict=True):
        assert right in (left, " ")
