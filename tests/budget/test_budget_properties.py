"""Whatever the customer does, no credit appears or disappears (rules M6, B3, B6)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from budget_support import CONFIG, DAY_PRICE, RESERVE, WORKING_HOURS, Bench, card, kwh
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.budget.card_transfer import TransferState
from firmware.rules.localtime import next_local_midnight, to_local
from firmware.rules.money import ZERO, Money, charge_for_energy

WEEKLY = Money.parse("3.50")
EMERGENCY = Money.parse("12")

Op = tuple[str, int]
OPS = st.one_of(
    st.tuples(st.just("spend"), st.integers(0, 40)),
    st.tuples(st.just("red"), st.just(0)),
    st.tuples(st.just("card"), st.integers(1, 5_000)),  # cents
    st.tuples(st.sampled_from(["wrong meter", "bit flip", "reversed", "replay"]), st.just(0)),
    st.tuples(st.just("pulled out"), st.integers(1, 5_000)),
    st.tuples(st.just("wait"), st.integers(0, 30)),  # hours
)


def _mondays_passed(start: datetime, now: datetime) -> int:
    count, midnight = 0, next_local_midnight(start)
    while midnight <= now:
        count += to_local(midnight).weekday() == 0
        midnight = next_local_midnight(midnight)
    return count


@settings(max_examples=150, deadline=None)
@given(st.lists(OPS, max_size=25))
def test_no_credit_appears_or_disappears(ops: list[Op]) -> None:  # rules M6, B3, B6, B10
    bench = Bench(replace(CONFIG, night_price=None, weekly_fixed_charge=WEEKLY))
    account = bench.account
    counter, loaded, energy_kwh = 0, ZERO, 0
    last_accepted: bytes | None = None
    for op, value in ops:
        before = account.balance
        if op == "spend":
            bench.spend(value)
            energy_kwh += value
        elif op == "red":
            account.press_red(bench.clock.now())
            assert account.balance == before  # emergency credit is a debt, not money
        elif op == "card":
            counter += 1
            raw = card(counter, f"{value // 100}.{value % 100:02d}").build()
            bench.insert(raw)
            bench.run()
            assert bench.transfer.state is TransferState.DONE
            bench.remove()
            loaded += Money.eur(0, value)
            last_accepted = raw
        elif op == "pulled out":
            counter += 1
            bench.insert(card(counter, f"{value // 100}.{value % 100:02d}").build())
            bench.clock.advance_to(bench.clock.now() + timedelta(seconds=1))
            bench.transfer.advance_to(bench.clock.now())
            bench.remove()
            assert account.balance == before
        elif op == "wait":
            bench.clock.advance_to(bench.clock.now() + timedelta(hours=value))
            account.advance_to(bench.clock.now())
        else:
            raw = _refused(op, counter + 1, last_accepted)
            bench.insert(raw)
            assert bench.lcd.state.code == "8"
            assert bench.run() == []
            bench.remove()
            assert account.balance == before  # a refused card never changes the balance
        fixed = WEEKLY * _mondays_passed(WORKING_HOURS, bench.clock.now())
        spent = charge_for_energy(kwh(energy_kwh), DAY_PRICE)
        assert account.balance == RESERVE + loaded - spent - fixed
        assert account.total_loaded == loaded
        assert ZERO <= account.emergency_owed <= EMERGENCY
        assert ZERO <= account.emergency_credit_left <= EMERGENCY


def _refused(kind: str, counter: int, last_accepted: bytes | None) -> bytes:
    if kind == "replay" and last_accepted is not None:
        return last_accepted
    if kind == "wrong meter":
        return card(counter, "10.00", meter="1SAG0000000001").build()
    raw = card(counter, "10.00").build()
    if kind == "reversed":
        return raw[::-1]
    flipped = bytearray(raw)
    flipped[20] ^= 0x40
    return bytes(flipped)
