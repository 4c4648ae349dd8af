"""Credit thresholds and amounts that meter and platform both apply (rule M5).

Pure functions over `Money`; the defaults are the seed values (rules P1-P3, P6, P8, B2, B5, B6,
E8, G4) and every amount is configuration through `CreditRules`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Final

from firmware.rules.errors import FirmwareError
from firmware.rules.money import ZERO, Money, charge_for_energy, energy_mj

EAN_DIGITS: Final = 18
TOP_UP_REFERENCE_DIGITS: Final = 13


class CreditError(FirmwareError):
    """A top-up, an EAN or a credit setting that the rules refuse."""


class MeterKind(enum.Enum):
    """Which family of prepayment rules applies."""

    SMART = "smart"  # rules P: ORES/RESA smart meter, balance kept centrally or by the firmware
    BUDGET = "budget"  # rules B: legacy budget meter with a smart card


@dataclass(frozen=True, slots=True)
class CreditRules:
    """The amounts of rules P and B; defaults are the seeds' values."""

    low_credit_threshold: Money = field(default_factory=lambda: Money.eur(5))  # P2
    smart_emergency_credit: Money = field(default_factory=lambda: Money.eur(15))  # P3
    budget_emergency_credit: Money = field(default_factory=lambda: Money.eur(12))  # B5
    reconnection_threshold: Money = field(default_factory=lambda: Money.eur(0, 50))  # E8 G4 P8
    top_up_min: Money = field(default_factory=lambda: Money.eur(5))  # P6
    top_up_max: Money = field(default_factory=lambda: Money.eur(250))  # P6
    starting_credit: Money = field(default_factory=lambda: Money.eur(20))  # P1
    daily_repayment: Money = field(default_factory=lambda: Money.eur(1))  # P1
    budget_reserve_wh: int = 150_000  # B2: 150 kWh programmed on installation
    debt_clearing_margin: Money = field(default_factory=lambda: Money.eur(0, 1))  # B6: +0.01

    def __post_init__(self) -> None:
        if self.top_up_min > self.top_up_max:
            raise CreditError(f"top-up minimum {self.top_up_min} above maximum {self.top_up_max}")
        if self.budget_reserve_wh < 0:
            raise CreditError(f"negative budget reserve: {self.budget_reserve_wh} Wh")

    def emergency_credit(self, kind: MeterKind) -> Money:
        """P3: 15 EUR on a smart meter; B5: 12 EUR on a budget meter."""
        if kind is MeterKind.SMART:
            return self.smart_emergency_credit
        return self.budget_emergency_credit


DEFAULT_RULES: Final = CreditRules()


def is_low_credit(balance: Money, rules: CreditRules = DEFAULT_RULES) -> bool:
    """P2: the balance has reached the low-credit threshold (informative, one notification)."""
    return balance <= rules.low_credit_threshold


def on_emergency_credit(balance: Money) -> bool:
    """P3: below zero the emergency credit is in use."""
    return balance < ZERO


def credit_exhausted(
    balance: Money, kind: MeterKind = MeterKind.SMART, rules: CreditRules = DEFAULT_RULES
) -> bool:
    """P4: the emergency credit is used up (balance at -15 EUR on a smart meter)."""
    return balance <= -rules.emergency_credit(kind)


def reconnection_allowed(balance: Money, rules: CreditRules = DEFAULT_RULES) -> bool:
    """E8, G4, P8: reconnection needs the balance back to at least 0.50 EUR."""
    return balance >= rules.reconnection_threshold


def top_up_in_range(amount: Money, rules: CreditRules = DEFAULT_RULES) -> bool:
    """P6: a top-up is between 5.00 and 250.00 EUR, in whole cents."""
    return rules.top_up_min <= amount <= rules.top_up_max and amount.is_whole_cents


def validate_top_up(amount: Money, rules: CreditRules = DEFAULT_RULES) -> Money:
    """P6: return `amount` if acceptable, else raise CreditError saying what is allowed."""
    if not top_up_in_range(amount, rules):
        raise CreditError(
            f"top-up of {amount.format(5)} EUR refused: "
            f"whole cents from {rules.top_up_min} to {rules.top_up_max} EUR"
        )
    return amount


def starting_credit(balance: Money = ZERO, rules: CreditRules = DEFAULT_RULES) -> Money:
    """P1: the advance a new prepayment customer gets: up to 20 EUR, nothing if already above."""
    return max(ZERO, rules.starting_credit - balance)


def daily_repayment(outstanding: Money, rules: CreditRules = DEFAULT_RULES) -> Money:
    """P1: the advance is repaid at 1 EUR per day, never more than what is still owed."""
    return min(max(ZERO, outstanding), rules.daily_repayment)


def budget_reserve(price_per_kwh: Money, rules: CreditRules = DEFAULT_RULES) -> Money:
    """B2: the 150 kWh reserve as an advance in money at the given price."""
    return charge_for_energy(energy_mj(rules.budget_reserve_wh), price_per_kwh)


def amount_to_clear(balance: Money, rules: CreditRules = DEFAULT_RULES) -> Money:
    """B6: what to reload to clear the debt (item 10: the debt + 0.01 EUR); zero without debt."""
    if balance >= ZERO:
        return ZERO
    return -balance + rules.debt_clearing_margin


def emergency_credit_available_again(
    outstanding_emergency: Money, balance: Money, rules: CreditRules = DEFAULT_RULES
) -> bool:
    """B6: once the emergency debt is cleared and the balance is back to at least 0.50 EUR."""
    return outstanding_emergency <= ZERO and reconnection_allowed(balance, rules)


def ean_check_digit(first_17: str) -> str:
    """The GS1 check digit of an 18-digit EAN (GSRN) from its first 17 digits."""
    if len(first_17) != EAN_DIGITS - 1 or not first_17.isdigit() or not first_17.isascii():
        raise CreditError(f"expected {EAN_DIGITS - 1} digits, got {first_17!r}")
    # GS1: weights 3,1,3,1... from the rightmost digit of the payload.
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(first_17)))
    return str(-total % 10)


def validate_ean(ean: str) -> str:
    """An 18-digit EAN with a correct GS1 check digit (spaces ignored), else CreditError."""
    digits = ean.replace(" ", "")
    if len(digits) != EAN_DIGITS or not digits.isdigit() or not digits.isascii():
        raise CreditError(f"an EAN has {EAN_DIGITS} digits, got {ean!r}")
    if ean_check_digit(digits[:-1]) != digits[-1]:
        raise CreditError(
            f"EAN {digits} has a wrong check digit (expected {ean_check_digit(digits[:-1])})"
        )
    return digits


def top_up_reference(ean: str) -> str:
    """P6: the payment reference of a top-up is the last 13 digits of the energy's EAN."""
    return validate_ean(ean)[-TOP_UP_REFERENCE_DIGITS:]
