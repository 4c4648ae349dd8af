"""The budget meter's card slot in the terminal UI: this meter's card loads its credit (rule
B3), another meter's card is refused with `8` (rules B3, B11)."""

from __future__ import annotations

from textual.widgets import Input
from tui_meter import SIZE, lcd_fields, log_text, meter_app, next_event

from display.widgets import CardSlot, CardSlotState, RegistersPanel
from firmware.budget.card_transfer import TransferState
from firmware.rules.money import Money


async def test_card_with_credit_loads_it() -> None:  # rule B3
    app = meter_app("budget")
    async with app.run_test(size=SIZE) as pilot:
        assert app.virtual.budget is not None
        before = app.virtual.budget.balance
        app.query_one("#card-credit", Input).value = "25.00"
        await pilot.click("#slot")
        await pilot.pause()
        assert lcd_fields(app)[0] == "9"  # being read
        assert app.query_one(CardSlot).state is CardSlotState.INSERTED
        seen = []
        while app.virtual.budget.transfer.state is not TransferState.DONE:
            await next_event(app, pilot)
            seen.append(lcd_fields(app)[1])
        assert "------" in seen  # the moving dashes
        assert "+25.00" in seen  # the amount loaded, then the new balance
        balance = before + Money.parse("25.00")
        assert seen[-1] == balance.format(2)
        assert app.virtual.budget.balance == balance
        assert app.query_one(RegistersPanel).balance == balance
        log = log_text(app)
        assert "buzzer beep 2" in log  # the double beep: the card can be removed
        await pilot.press("c")
        await pilot.pause()
        assert app.query_one(CardSlot).state is CardSlotState.EMPTY


async def test_a_foreign_card_shows_8() -> None:  # rules B3, B11
    app = meter_app("budget")
    async with app.run_test(size=SIZE) as pilot:
        assert app.virtual.budget is not None
        before = app.virtual.budget.balance
        await pilot.press("f")
        await pilot.pause()
        assert lcd_fields(app)[0] == "8"
        assert app.query_one(CardSlot).state is CardSlotState.REFUSED
        await next_event(app, pilot, 3)
        assert app.virtual.budget.balance <= before  # nothing was loaded
        await pilot.press("c")  # pull it out: the balance is back on the LCD
        await pilot.pause()
        assert app.query_one(CardSlot).state is CardSlotState.EMPTY
        assert lcd_fields(app)[0] != "8"


async def test_a_bad_amount_is_refused_in_the_log_and_not_recorded() -> None:  # bad input
    app = meter_app("budget")
    recorded: list[object] = []
    app.on_action = lambda _at, action: recorded.append(action)
    async with app.run_test(size=SIZE) as pilot:
        for amount in ("1.2.3", "99999999"):
            app.query_one("#card-credit", Input).value = amount
            await pilot.press("c")
        await pilot.pause()
        log = log_text(app)
        assert "card credit '1.2.3': not an amount of money" in log
        assert "card insert 99999999.00: refused" in log
        assert app.query_one(CardSlot).state is CardSlotState.EMPTY
        assert recorded == []
        await pilot.press("b")  # the meter still answers
        assert lcd_fields(app)[0] == "8.8.8.8.8"
