"""The card slot: `9`, dashes, amount, balance, double beep; `8` for every refusal (B3, B4, B11)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from budget_support import EUR as eur
from budget_support import RESERVE, SERIAL, WORKING_HOURS, Bench, card

from firmware.budget.card_transfer import TransferState
from firmware.prepayment.card_image import CardError, CardImage, CardRefusal


def _ms(bench: Bench) -> list[tuple[int, str, str, str]]:
    """The LCD history as (milliseconds after the insertion, code, value, unit)."""
    return [
        ((at - WORKING_HOURS) // timedelta(milliseconds=1), s.code, s.value, s.unit)
        for at, s in bench.lcd.history
    ]


def test_an_accepted_card_shows_9_dashes_amount_balance_then_beeps_twice() -> None:  # B3
    bench = Bench()
    bench.insert(card(1, "20.00").build())
    outcomes = bench.run()
    dashes = ["-", "--", "---", "----", "-----", "------", "-", "--"]
    assert _ms(bench) == [
        (0, "9", "", ""),
        *[(500 + 250 * step, "9", dash, "") for step, dash in enumerate(dashes)],
        (2500, "", "+20.00", "EUR"),
        (5500, "", "43.62", "EUR"),  # 43.625 shown rounded down
    ]
    beeps = bench.buzzer.recorder.of_kind("beep")
    assert [(b.at - WORKING_HOURS, b.detail) for b in beeps] == [(timedelta(seconds=8.5), "2")]
    assert bench.transfer.state is TransferState.DONE
    assert bench.account.balance == RESERVE + eur("20")
    assert sum(1 for o in outcomes for n in o.notices) == 1  # credited exactly once
    assert bench.transfer.advance_to(WORKING_HOURS + timedelta(hours=1)).notices == ()
    assert bench.account.balance == RESERVE + eur("20")


def test_the_card_is_written_back_and_its_credit_taken() -> None:  # rules B3, B4
    bench = Bench()
    bench.insert(card(1, "20.00").build())
    bench.run()
    assert bench.slot.card is not None
    written = CardImage.parse(bench.slot.card)
    assert written.credit_to_load == eur("0")
    assert written.meter_data is not None
    assert written.meter_data.balance == bench.account.balance
    assert bench.slot.recorder.of_kind("write")


def test_a_shop_reload_needs_the_write_back_first() -> None:  # rule B4
    bench = Bench()
    new_card = card(0)  # as issued: nothing written back yet
    with pytest.raises(CardError) as refused:
        new_card.loaded(eur("20"))
    assert refused.value.reason is CardRefusal.NOT_WRITTEN_BACK
    reloaded = bench.load(new_card).loaded(eur("20"))  # `9`, two beeps, then the shop
    bench.load(reloaded)
    assert bench.account.balance == RESERVE + eur("20")
    with pytest.raises(CardError):  # reloaded but not yet inserted: no second reload
        reloaded.loaded(eur("20"))


def _wrong_meter() -> bytes:
    return card(1, "20.00", meter="1SAG9999999999").build()


def _bad_checksum() -> bytes:
    raw = bytearray(card(1, "20.00").build())
    raw[30] ^= 0x01
    return bytes(raw)


def _reversed() -> bytes:
    return card(1, "20.00").build()[::-1]


def _truncated() -> bytes:
    return card(1, "20.00").build()[:-3]


REFUSALS: dict[str, tuple[Callable[[], bytes], CardRefusal]] = {
    "wrong meter": (_wrong_meter, CardRefusal.WRONG_METER),
    "bad checksum": (_bad_checksum, CardRefusal.BAD_CHECKSUM),
    "reversed insertion": (_reversed, CardRefusal.REVERSED_INSERTION),
    "malformed": (_truncated, CardRefusal.MALFORMED),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_a_refused_card_shows_8_and_changes_nothing(name: str) -> None:  # rules B3, B11
    make, reason = REFUSALS[name]
    bench = Bench()
    raw = make()
    bench.insert(raw)
    assert bench.lcd.state.code == "8"
    assert bench.transfer.state is TransferState.REFUSED
    assert bench.transfer.refusal is reason
    assert bench.run() == []
    assert bench.account.balance == RESERVE and len(bench.account.entries) == 1
    assert bench.slot.card == raw  # the card is not touched
    assert not bench.buzzer.recorder.events


def test_a_replayed_card_shows_8_and_changes_nothing() -> None:  # rule B3 (a copied card)
    bench = Bench()
    raw = card(1, "20.00").build()
    bench.insert(raw)
    bench.run()
    bench.remove()
    balance, entries = bench.account.balance, len(bench.account.entries)
    bench.insert(raw)  # the image as it was before the meter took the credit
    assert bench.lcd.state.code == "8"
    assert bench.transfer.refusal is CardRefusal.REPLAYED_COUNTER
    assert (bench.account.balance, len(bench.account.entries)) == (balance, entries)


def test_a_replaced_card_is_refused_and_its_successor_accepted() -> None:  # rule B11
    bench = Bench()
    lost = bench.load(card(1, "20.00", card_id=41))
    bench.account.revoke_card(41)  # the operator replaces the lost card
    balance = bench.account.balance
    bench.insert(lost.loaded(eur("30")).build())  # the previous occupant's card
    assert bench.transfer.refusal is CardRefusal.REVOKED_CARD
    assert bench.account.balance == balance
    bench.remove()
    bench.load(card(1, "30.00", card_id=42))
    assert bench.account.balance == balance + eur("30")


def test_a_card_removed_during_the_transfer_credits_nothing() -> None:  # rule B3
    bench = Bench()
    raw = card(1, "20.00").build()
    bench.insert(raw)
    bench.clock.advance_to(WORKING_HOURS + timedelta(seconds=1))
    bench.transfer.advance_to(bench.clock.now())
    assert bench.transfer.state is TransferState.TRANSFERRING
    bench.remove()
    assert bench.run() == []
    assert bench.account.balance == RESERVE
    bench.load(CardImage.parse(raw))  # inserted again: credited once
    assert bench.account.balance == RESERVE + eur("20")


def test_a_card_pulled_out_unseen_at_the_last_step_credits_nothing() -> None:  # rule B3
    bench = Bench()
    bench.insert(card(1, "20.00").build())
    bench.slot.remove()  # the meter has not noticed yet
    assert all(o.notices == () for o in bench.run())
    assert bench.account.balance == RESERVE
    assert bench.transfer.state is TransferState.IDLE


def test_inserting_a_card_without_credit_writes_back_and_beeps() -> None:  # rule B4
    bench = Bench()
    bench.insert(card(0).build())
    bench.run()
    assert [s.code for _, s in bench.lcd.history][:2] == ["9", "9"]
    assert bench.lcd.state.value == "23.62"
    assert [e.detail for e in bench.buzzer.recorder.of_kind("beep")] == ["2"]
    assert bench.slot.card is not None
    assert CardImage.parse(bench.slot.card).meter_data is not None
    assert bench.account.balance == RESERVE
    assert CardImage.parse(bench.slot.card).meter_id == SERIAL
