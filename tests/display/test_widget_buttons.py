"""Buttons, card slot and replay controls post the messages the meter acts on (rules E6, G1,
G3, B3, B8)."""

from __future__ import annotations

import pytest
from widget_app import SIZE, WidgetApp

from display.widgets import ButtonStrip, CardSlot, CardSlotState, ReplayControls
from display.widgets.buttons import BUDGET_BUTTONS, GAS_BUTTONS, HOLD
from display.widgets.replay import SPEEDS
from hal.buttons import SHORT_PRESS

SHORT_S = SHORT_PRESS.total_seconds()
HOLD_S = HOLD.total_seconds()


def presses(app: WidgetApp) -> list[tuple[str, float]]:
    return [(m.button, m.hold_s) for m in app.received if isinstance(m, ButtonStrip.Pressed)]


async def test_clicking_the_green_button_is_a_short_press() -> None:  # rule E6
    app = WidgetApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#button-green")
        await pilot.pause()
        assert presses(app) == [("green", SHORT_S)]


async def test_key_g_presses_green_and_shift_g_holds_it() -> None:  # rule E6
    app = WidgetApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g", "G")
        await pilot.pause()
        assert presses(app) == [("green", SHORT_S), ("green", HOLD_S)]


async def test_budget_strip_blue_and_red() -> None:  # rule B8
    app = WidgetApp(buttons=BUDGET_BUTTONS)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#button-blue")
        await pilot.press("r")
        await pilot.pause()
        assert presses(app) == [("blue", SHORT_S), ("red", SHORT_S)]
        assert not app.query("#button-green")


@pytest.mark.parametrize("button", GAS_BUTTONS)
async def test_gas_strip_shift_click_holds_for_a_leak_test(button: str) -> None:  # rule G3
    app = WidgetApp(buttons=GAS_BUTTONS)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click(f"#button-{button}", shift=True)
        await pilot.pause()
        assert presses(app) == [(button, HOLD_S)]
        pressed = [m for m in app.received if isinstance(m, ButtonStrip.Pressed)]
        assert pressed[0].duration == HOLD


async def test_holding_the_mouse_down_on_a_gas_button_is_a_long_press() -> None:  # rule G3
    now = [100.0]  # the real-time clock the strip reads, moved by hand
    app = WidgetApp(buttons=GAS_BUTTONS, monotonic=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.mouse_down("#button-m3")
        now[0] += 5.5
        await pilot.mouse_up("#button-m3")
        await pilot.pause()
        assert presses(app) == [("m3", 5.5)]


async def test_card_slot_asks_to_insert_then_to_remove() -> None:  # rules B3, B4
    app = WidgetApp(buttons=BUDGET_BUTTONS)
    async with app.run_test(size=SIZE) as pilot:
        slot = app.query_one(CardSlot)
        await pilot.click("#slot")
        slot.state = CardSlotState.INSERTED
        await pilot.pause()
        assert slot.has_class("-inserted")
        await pilot.click("#slot")
        slot.state = CardSlotState.REFUSED
        await pilot.pause()
        assert slot.has_class("-refused") and not slot.has_class("-inserted")
        assert "refused" in str(slot.render())
        kinds = [type(m) for m in app.received]
        assert kinds == [CardSlot.Insert, CardSlot.Remove]


async def test_replay_controls_by_click_and_key() -> None:
    app = WidgetApp()
    async with app.run_test(size=SIZE) as pilot:
        replay = app.query_one(ReplayControls)
        await pilot.click("#replay-play")
        await pilot.pause()
        assert replay.playing
        await pilot.click("#replay-pause")
        await pilot.click("#replay-step")
        await pilot.click("#replay-faster")
        await pilot.click("#replay-next")
        replay.focus()
        await pilot.press("space", "minus", "minus", "n", "s")
        await pilot.pause()
        got = [
            (type(m).__name__, getattr(m, "speed", None))
            for m in app.received
            if type(m).__qualname__.startswith("ReplayControls")
        ]
        assert got == [
            ("Play", None),
            ("Pause", None),
            ("Step", None),
            ("SpeedChanged", SPEEDS[1]),
            ("NextEvent", None),
            ("Play", None),
            ("SpeedChanged", SPEEDS[0]),
            ("NextEvent", None),
            ("Step", None),
        ]
        assert replay.speed == SPEEDS[0]
