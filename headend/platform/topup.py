"""Top-ups by payment reference (rules P6, P8, P9).

A payment carries an amount between 5.00 and 250.00 EUR in whole cents and a reference, the
last 13 digits of the energy's EAN. Booking it credits that meter's ledger, tells the customer
(P9) and re-runs the decisions, which enable reconnection at >= 0.50 EUR (P8).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from firmware.rules.credit import TOP_UP_REFERENCE_DIGITS
from headend.platform.account import settle
from headend.platform.decisions import Decision, top_up_notice
from headend.platform.errors import PlatformError
from headend.platform.ledger import EntryKind, Ledger
from headend.platform.money import MILLI_CENTS_PER_CENT, format_eur, parse_eur
from headend.platform.rules import DEFAULT_PLATFORM_RULES, PlatformRules


@dataclass(frozen=True, slots=True)
class TopUpResult:
    serial: str
    amount: int  # milli-cents
    balance: int  # milli-cents, after the top-up
    decision: Decision


def validate_amount(amount_text: str, rules: PlatformRules = DEFAULT_PLATFORM_RULES) -> int:
    """P6: the amount in milli-cents, or PlatformError saying what is accepted."""
    amount = parse_eur(amount_text)
    if not rules.top_up_min <= amount <= rules.top_up_max or amount % MILLI_CENTS_PER_CENT != 0:
        raise PlatformError(
            f"top-up of {amount_text.strip()} EUR refused: whole cents from "
            f"{format_eur(rules.top_up_min)} to {format_eur(rules.top_up_max)} EUR"
        )
    return amount


def normalise_reference(reference: str) -> str:
    """P6: a reference is 13 digits (spaces, dots and slashes as printed are ignored)."""
    digits = "".join(c for c in reference if c not in " ./-")
    if len(digits) != TOP_UP_REFERENCE_DIGITS or not (digits.isascii() and digits.isdigit()):
        raise PlatformError(
            f"reference {reference!r} refused: it is the last {TOP_UP_REFERENCE_DIGITS} digits"
            " of the EAN of the energy to top up"
        )
    return digits


def book_top_up(
    ledger: Ledger,
    reference: str,
    amount_text: str,
    now: datetime,
    rules: PlatformRules = DEFAULT_PLATFORM_RULES,
) -> TopUpResult:
    """Credit the meter whose reference this is; PlatformError for an unknown reference or an
    amount out of range, and nothing is booked then."""
    amount = validate_amount(amount_text, rules)
    digits = normalise_reference(reference)
    serial = ledger.serial_for_reference(digits)
    if serial is None:
        raise PlatformError(f"no meter has reference {digits}: check the last 13 digits of the EAN")
    with ledger.transaction():
        ledger.add_entry(serial, now, EntryKind.TOP_UP, amount)
        balance = ledger.balance(serial)
        decision = settle(ledger, serial, now, rules, (top_up_notice(amount, balance),))
    return TopUpResult(serial, amount, balance, decision)
