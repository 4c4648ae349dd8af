"""Top-ups by reference (rules P6, P8, P9)."""

from __future__ import annotations

import pytest
from platform_facts import EAN, PRICES, REFERENCE, SERIAL, START, make_ean

from headend.platform.decisions import NoticeKind
from headend.platform.errors import PlatformError
from headend.platform.ledger import Energy, EntryKind
from headend.platform.service import Platform


@pytest.fixture
def customer(platform: Platform) -> Platform:
    platform.register_meter(SERIAL, EAN, PRICES, START)
    return platform


@pytest.mark.parametrize("amount", ["5.00", "5", "123.45", "250.00"])
def test_amounts_from_five_to_two_hundred_fifty_euros_accepted(  # rule P6
    customer: Platform, amount: str
) -> None:
    result = customer.top_up(REFERENCE, amount, START)
    assert result.balance == 2_000_000 + result.amount
    assert customer.ledger.total(SERIAL, EntryKind.TOP_UP) == result.amount


@pytest.mark.parametrize("amount", ["4.99", "250.01", "10.001", "-20", "20 EUR"])
def test_amounts_out_of_range_refused_and_nothing_booked(  # rule P6
    customer: Platform, amount: str
) -> None:
    with pytest.raises(PlatformError, match=r"refused|not an amount"):
        customer.top_up(REFERENCE, amount, START)
    assert customer.ledger.balance(SERIAL) == 2_000_000
    assert customer.ledger.notices(SERIAL) == []


def test_reference_is_the_last_13_digits_of_the_ean(customer: Platform) -> None:  # rule P6
    assert EAN[-13:] == REFERENCE
    spaced = " ".join(REFERENCE[i : i + 4] for i in range(0, 13, 4))
    assert customer.top_up(spaced, "20.00", START).serial == SERIAL


def test_unknown_or_malformed_reference_refused_clearly(customer: Platform) -> None:  # rule P6
    other = "1" * 13
    with pytest.raises(PlatformError, match=f"no meter has reference {other}"):
        customer.top_up(other, "20.00", START)
    with pytest.raises(PlatformError, match="last 13 digits"):
        customer.top_up(EAN, "20.00", START)  # the whole EAN is not the reference
    assert customer.ledger.balance(SERIAL) == 2_000_000


def test_each_energy_has_its_own_reference_and_balance(customer: Platform) -> None:  # rule P6
    gas_ean = make_ean(5678)
    customer.register_meter("GAS0001", gas_ean, PRICES, START, energy=Energy.GAS)
    customer.top_up(gas_ean[-13:], "30.00", START)
    assert customer.ledger.balance("GAS0001") == 5_000_000
    assert customer.ledger.balance(SERIAL) == 2_000_000


def test_top_up_received_notification(customer: Platform) -> None:  # rule P9
    customer.top_up(REFERENCE, "20.00", START)
    [message] = customer.ledger.notices(SERIAL)
    assert message.kind == NoticeKind.TOP_UP_RECEIVED.value
    assert message.text == "Rechargement de 20,00 € reçu. Nouveau solde : 40,00 €."
    assert [m.id for m in customer.ledger.unpublished()] == [message.id]
    customer.ledger.mark_published(message.id)
    assert customer.ledger.unpublished() == []


def test_a_bad_ean_is_refused_at_registration(platform: Platform) -> None:
    with pytest.raises(PlatformError, match="check digit"):
        platform.register_meter(SERIAL, EAN[:-1] + str((int(EAN[-1]) + 1) % 10), PRICES, START)


@pytest.mark.parametrize(
    ("carried", "advance", "balance"),
    [(500_000, 1_500_000, 2_000_000), (3_000_000, 0, 3_000_000), (-200_000, 2_200_000, 2_000_000)],
)
def test_a_customer_moved_from_a_budget_meter_keeps_their_balance(  # rule P1
    platform: Platform, carried: int, advance: int, balance: int
) -> None:
    platform.register_meter(SERIAL, EAN, PRICES, START, carried_balance=carried)
    assert platform.ledger.total(SERIAL, EntryKind.CARRIED_BALANCE) == carried
    assert platform.ledger.outstanding_advance(SERIAL) == advance
    assert platform.ledger.balance(SERIAL) == balance


def test_the_customer_sets_their_own_low_credit_threshold(customer: Platform) -> None:  # P2
    customer.set_low_credit_threshold(SERIAL, "25.00")
    decision = customer.tick(SERIAL, START)
    assert [n.kind for n in decision.notices] == [NoticeKind.LOW_BALANCE]
    with pytest.raises(PlatformError, match="negative"):
        customer.set_low_credit_threshold(SERIAL, "-1")
    with pytest.raises(PlatformError, match="unknown meter"):
        customer.set_low_credit_threshold("NOPE", "1")
    assert customer.reference_of(SERIAL) == REFERENCE
