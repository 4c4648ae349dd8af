"""Credit thresholds both sides apply (rule M5): P1, P2, P3, P4, P6, P8, E8, G4, B2, B5, B6."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware.rules.credit import (
    CreditError,
    CreditRules,
    MeterKind,
    amount_to_clear,
    budget_reserve,
    credit_exhausted,
    daily_repayment,
    ean_check_digit,
    emergency_credit_available_again,
    is_low_credit,
    on_emergency_credit,
    reconnection_allowed,
    starting_credit,
    top_up_in_range,
    top_up_reference,
    validate_ean,
    validate_top_up,
)
from firmware.rules.money import Money

EUR = Money.parse
ELECTRICITY_EAN = "541448820000012346"  # 18 digits, GS1 check digit 6


def test_sample_ean_is_valid() -> None:
    assert ean_check_digit(ELECTRICITY_EAN[:17]) == ELECTRICITY_EAN[-1]


def test_low_credit_threshold_defaults_to_5_eur_and_is_configurable() -> None:
    # rule P2
    assert is_low_credit(EUR("5.00"))
    assert not is_low_credit(EUR("5.01"))
    assert not is_low_credit(EUR("5.00"), CreditRules(low_credit_threshold=EUR("3.00")))


def test_emergency_credit_starts_below_zero() -> None:
    # rule P3
    assert not on_emergency_credit(EUR("0.00"))
    assert on_emergency_credit(EUR("-0.01"))


def test_credit_is_exhausted_when_the_emergency_credit_is_used_up() -> None:
    # rule P4 (smart: 15 EUR, P3) and rule B5 (budget: 12 EUR)
    assert not credit_exhausted(EUR("-14.99"))
    assert credit_exhausted(EUR("-15.00"))
    assert credit_exhausted(EUR("-12.00"), MeterKind.BUDGET)
    assert not credit_exhausted(EUR("-11.99"), MeterKind.BUDGET)


def test_reconnection_needs_at_least_50_cents() -> None:
    # rules E8, G4, P8
    assert not reconnection_allowed(EUR("0.49"))
    assert not reconnection_allowed(EUR("-3.00"))
    assert reconnection_allowed(EUR("0.50"))


@pytest.mark.parametrize("text", ["5.00", "5.01", "100", "250.00"])
def test_top_ups_from_5_to_250_eur_are_accepted(text: str) -> None:
    # rule P6
    assert validate_top_up(EUR(text)) == EUR(text)


@pytest.mark.parametrize("text", ["4.99", "250.01", "0", "-10", "20.005"])
def test_top_ups_outside_the_range_or_below_a_cent_are_refused(text: str) -> None:
    # rule P6
    assert not top_up_in_range(EUR(text))
    with pytest.raises(CreditError, match=r"5\.00 to 250\.00"):
        validate_top_up(EUR(text))


def test_top_up_reference_is_the_last_13_digits_of_the_ean() -> None:
    # rule P6
    assert top_up_reference(ELECTRICITY_EAN) == "8820000012346"
    assert top_up_reference("5414 4882 0000 0123 46") == "8820000012346"


@pytest.mark.parametrize(
    "ean",
    [
        "541448820000012344",
        "54144882000001234",
        "5414488200000123464",
        "54144882000001234X",
        "５４1448820000012346",
        "",
    ],
)
def test_bad_eans_are_refused(ean: str) -> None:
    with pytest.raises(CreditError):
        top_up_reference(ean)


@given(st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=9))
def test_any_single_mistyped_digit_of_an_ean_is_caught(position: int, shift: int) -> None:
    # rule P6: a wrong reference would credit another customer's energy
    wrong = int(ELECTRICITY_EAN[position]) + shift
    typo = ELECTRICITY_EAN[:position] + str(wrong % 10) + ELECTRICITY_EAN[position + 1 :]
    with pytest.raises(CreditError):
        validate_ean(typo)


def test_starting_credit_tops_the_balance_up_to_20_eur() -> None:
    # rule P1: 20 EUR for a new customer; a customer from a budget meter keeps their balance,
    # topped up to 20 EUR if lower
    assert starting_credit() == EUR("20.00")
    assert starting_credit(EUR("12.30")) == EUR("7.70")
    assert starting_credit(EUR("-4.00")) == EUR("24.00")
    assert starting_credit(EUR("35.00")) == EUR("0")


def test_the_advance_is_repaid_1_eur_a_day_never_more_than_owed() -> None:
    # rule P1
    assert daily_repayment(EUR("20.00")) == EUR("1.00")
    assert daily_repayment(EUR("0.40")) == EUR("0.40")
    assert daily_repayment(EUR("0")) == EUR("0")


def test_budget_reserve_is_150_kwh_at_the_day_price() -> None:
    # rule B2: 150 kWh x 0.1575 EUR/kWh
    assert budget_reserve(EUR("0.1575")) == EUR("23.625")


def test_amount_to_clear_is_the_debt_plus_one_cent() -> None:
    # rule B6, seed 004 step 14: display item 10
    assert amount_to_clear(EUR("-3.45")) == EUR("3.46")
    assert amount_to_clear(EUR("0.00")) == EUR("0")


def test_emergency_credit_comes_back_once_the_debt_is_cleared_and_50_cents_are_there() -> None:
    # rule B6
    assert not emergency_credit_available_again(EUR("2.00"), EUR("10.00"))
    assert not emergency_credit_available_again(EUR("0"), EUR("0.49"))
    assert emergency_credit_available_again(EUR("0"), EUR("0.50"))


def test_inconsistent_rules_are_refused() -> None:
    with pytest.raises(CreditError):
        CreditRules(top_up_min=EUR("300"))
