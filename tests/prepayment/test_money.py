"""Money in milli-cents and exact energy pricing (rule M6)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware.rules.money import (
    MJ_PER_KWH,
    ChargeAccumulator,
    Money,
    MoneyError,
    charge_for_energy,
    energy_mj,
)

DAY_PRICE = Money.parse("0.1575")  # seed 004, B8 item 8
prices = st.integers(min_value=0, max_value=Money.eur(2).milli_cents).map(Money)
amounts = st.integers(min_value=-(10**12), max_value=10**12).map(Money)


@pytest.mark.parametrize(
    ("text", "milli_cents"),
    [
        ("20.00", 2_000_000),
        ("20", 2_000_000),
        ("-3.45", -345_000),
        ("0.1575", 15_750),
        ("+0.00001", 1),
        (" 5.5 ", 550_000),
    ],
)
def test_parse_reads_decimal_euros(text: str, milli_cents: int) -> None:
    assert Money.parse(text) == Money(milli_cents)


@pytest.mark.parametrize(
    "text", ["", "3,45", "1e3", "0.123456", "--1", "12.", ".5", "EUR 5", "nan"]
)
def test_parse_refuses_what_is_not_an_amount(text: str) -> None:
    with pytest.raises(MoneyError):
        Money.parse(text)


def test_format_shows_two_decimals_with_a_leading_minus() -> None:
    # rule E7: a negative balance is shown with a leading "-"
    assert Money.parse("-3.45").format() == "-3.45"
    assert str(Money.eur(20)) == "20.00"
    assert Money.eur(0, 50).format() == "0.50"
    assert DAY_PRICE.format(4) == "0.1575"
    assert Money.eur(7).format(0) == "7"


def test_format_never_shows_more_credit_than_there_is() -> None:
    assert Money.parse("3.459").format() == "3.45"
    assert Money.parse("-3.451").format() == "-3.46"
    assert Money.parse("-0.001").format() == "-0.01"


@given(amounts)
def test_five_decimal_text_round_trips(amount: Money) -> None:
    assert Money.parse(amount.format(5)) == amount


@given(amounts, st.integers(min_value=0, max_value=5))
def test_formatted_amount_is_at_most_the_real_one(amount: Money, places: int) -> None:
    shown = Money.parse(amount.format(places))
    assert shown <= amount < shown + Money(10 ** (5 - places))


def test_one_kwh_charged_watt_hour_by_watt_hour_costs_exactly_the_price() -> None:
    # rule M6: 0.1575 EUR/kWh applied per Wh (15.75 milli-cents) stays exact
    accumulator = ChargeAccumulator()
    charges = [accumulator.charge(energy_mj(1), DAY_PRICE) for _ in range(1000)]
    assert sum(charges, Money(0)) == DAY_PRICE
    assert set(charges) == {Money(15), Money(16)}
    assert accumulator.remainder == 0


@given(st.lists(st.integers(min_value=0, max_value=energy_mj(5_000)), max_size=60), prices)
def test_charges_over_any_split_equal_the_charge_of_the_total(
    slices: list[int], price: Money
) -> None:
    # rule M6
    accumulator = ChargeAccumulator()
    charged = sum((accumulator.charge(energy, price) for energy in slices), Money(0))
    assert charged == charge_for_energy(sum(slices), price)


@given(
    st.lists(st.tuples(st.integers(min_value=0, max_value=energy_mj(3_000)), prices), max_size=40)
)
def test_price_changes_keep_the_carry_exact(slices: list[tuple[int, Money]]) -> None:
    # rule M6 with peak/off-peak prices: the total is exact to the milli-cent, rounded down
    accumulator = ChargeAccumulator()
    charged = sum((accumulator.charge(energy, price) for energy, price in slices), Money(0))
    exact_numerator = sum(energy * price.milli_cents for energy, price in slices)
    assert charged == Money(exact_numerator // MJ_PER_KWH)


@given(st.lists(st.integers(min_value=0, max_value=energy_mj(100)), max_size=30), st.data())
def test_remainder_survives_a_restart(slices: list[int], data: st.DataObject) -> None:
    # the NVM persists `remainder`; a meter restarted with it charges as if never stopped
    cut = data.draw(st.integers(min_value=0, max_value=len(slices)))
    before = ChargeAccumulator()
    first = sum((before.charge(e, DAY_PRICE) for e in slices[:cut]), Money(0))
    after = ChargeAccumulator(remainder=before.remainder)
    second = sum((after.charge(e, DAY_PRICE) for e in slices[cut:]), Money(0))
    assert first + second == charge_for_energy(sum(slices), DAY_PRICE)


def test_negative_energy_and_bad_remainder_are_refused() -> None:
    with pytest.raises(MoneyError):
        ChargeAccumulator().charge(-1, DAY_PRICE)
    with pytest.raises(MoneyError):
        ChargeAccumulator(remainder=MJ_PER_KWH)
