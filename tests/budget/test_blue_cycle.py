"""The budget meter's display: balance, blue-button cycle, B6 alternation, triangle, `A`."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from budget_support import CONFIG, Bench, card, kwh, local
from budget_support import EUR as eur

from firmware.budget.account import BudgetAccount, BudgetConfig
from firmware.budget.blue_cycle import (
    LIMITER,
    TEST_SCREEN,
    TRIANGLE,
    BlueCycle,
    BlueItem,
    blue_items,
)
from firmware.rules.tariff import Tariff

SEPT_12: date = date(2008, 9, 12)
SEEN_AT: datetime = local(SEPT_12, 14, 3, 12)


def _b8_account(config: BudgetConfig) -> BudgetAccount:
    """An account holding the brochure's example figures (B8)."""
    start = local(SEPT_12, 8)
    account, _ = BudgetAccount.install(config, lambda record: None, start)
    account.load_card(start, card(1, "200.00"))
    account.load_card(start, card(2, "15.84"))
    account.consume(start, Tariff.PEAK, kwh(1482))
    if config.dual_tariff:
        account.consume(start, Tariff.OFF_PEAK, kwh(1107))
    return account


def _walk(cycle: BlueCycle, card_inserted: bool) -> list[str]:
    shown = []
    for _ in range(20):
        cycle.press_blue(SEEN_AT, card_inserted)
        if cycle.item is None:
            break
        shown.append(cycle.screen(SEEN_AT).value)
    return shown


def test_blue_button_cycle_dual_tariff_with_card() -> None:  # rule B8
    config = replace(CONFIG, weekly_fixed_charge=eur("2.15"))
    cycle = BlueCycle(_b8_account(config), SEEN_AT)
    assert _walk(cycle, card_inserted=True) == [
        TEST_SCREEN.value,
        "14:03:12",
        "12/09/2008",
        "[2] 215.84",
        "[3] 2.15",
        "2589 KWH",
        "1482 KWH [1]",
        "[4] 0.1575 [1]",
        "1107 KWH [2]",
        "[4] 0.0746 [2]",
        "[5] 12.00",
    ]
    assert cycle.item is None  # back to the balance after the last item


def test_blue_button_cycle_single_rate_without_card() -> None:  # rule B8 (* and ** items)
    config = replace(CONFIG, night_price=None, weekly_fixed_charge=eur("2.15"))
    cycle = BlueCycle(_b8_account(config), SEEN_AT)
    assert _walk(cycle, card_inserted=False) == [
        TEST_SCREEN.value,
        "14:03:12",
        "12/09/2008",
        "[2] 215.84",
        "[3] 2.15",
        "1482 KWH",
        "1482 KWH [1]",
        "[4] 0.1575 [1]",
    ]
    assert blue_items(dual_tariff=False, card_inserted=True)[-1] is BlueItem.EMERGENCY_CREDIT
    assert len(blue_items(dual_tariff=True, card_inserted=False)) == 10


def test_the_item_number_is_in_the_code_field_and_the_test_screen_lights_all() -> None:  # B8
    cycle = BlueCycle(Bench().account, SEEN_AT)
    cycle.press_blue(SEEN_AT, card_inserted=True)
    assert cycle.screen(SEEN_AT) == TEST_SCREEN
    cycle.press_blue(SEEN_AT, card_inserted=True)
    assert cycle.screen(SEEN_AT).code == "2"


def test_the_balance_is_shown_permanently_and_after_a_pause() -> None:  # rules B1, B8
    bench = Bench()
    now = bench.clock.now()
    cycle = BlueCycle(bench.account, now)
    assert (cycle.screen(now).value, cycle.screen(now).unit) == ("23.62", "EUR")
    cycle.press_blue(now, card_inserted=False)
    assert cycle.next_deadline(now) == now + timedelta(seconds=30)
    assert cycle.screen(now + timedelta(seconds=29)) == TEST_SCREEN
    assert cycle.screen(now + timedelta(seconds=30)).value == "23.62"
    assert cycle.next_deadline(now + timedelta(seconds=30)) is None


def test_on_emergency_credit_items_1_and_10_alternate() -> None:  # rule B6
    bench = Bench()
    bench.spend(151)
    bench.account.press_red(bench.clock.now())
    now = bench.clock.now()
    cycle = BlueCycle(bench.account, now)
    first, second = cycle.screen(now), cycle.screen(now + timedelta(seconds=3))
    assert (first.code, first.value) == ("1", "11.84")  # 11.8425 left to consume
    assert (second.code, second.value) == ("10", "0.17")  # debt 0.1575 + 0.01, rounded up
    assert cycle.screen(now + timedelta(seconds=6)).code == "1"
    assert cycle.next_deadline(now + timedelta(seconds=1)) == now + timedelta(seconds=3)
    assert TRIANGLE in first.symbols  # steady (B5)


def test_low_credit_blinks_the_triangle() -> None:  # rule B5
    bench = Bench()
    bench.spend(120)
    screen = BlueCycle(bench.account, bench.clock.now()).screen(bench.clock.now())
    assert TRIANGLE in screen.blinking and TRIANGLE not in screen.symbols


def test_a_power_limiter_shows_a() -> None:  # rule B9
    bench = Bench(replace(CONFIG, power_limiter=True))
    screen = BlueCycle(bench.account, bench.clock.now()).screen(bench.clock.now())
    assert LIMITER in screen.symbols
    plain = BlueCycle(Bench().account, bench.clock.now()).screen(bench.clock.now())
    assert LIMITER not in plain.symbols


def test_emergency_item_shows_what_is_left_once_used() -> None:  # rules B6, B8
    bench = Bench()
    bench.spend(151)
    bench.account.press_red(bench.clock.now())
    cycle = BlueCycle(bench.account, SEEN_AT)
    assert _walk(cycle, card_inserted=True)[-1] == "[5] 11.84"
