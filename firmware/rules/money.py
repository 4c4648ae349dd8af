"""Money as integer milli-cents and exact pricing of energy (rule M6).

1 EUR = 100 cents = 100_000 milli-cents. No floats anywhere: amounts are parsed from and
formatted to decimal text, and energy is priced with the sub-milli-cent remainder carried in a
`ChargeAccumulator`, so the charges over any split of the energy add up to the charge of the total.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from firmware.rules.errors import FirmwareError

MILLI_CENTS_PER_EUR: Final = 100_000
MILLI_CENTS_PER_CENT: Final = 1_000
DECIMALS: Final = 5  # digits after the decimal point a milli-cent amount can carry

MJ_PER_WH: Final = 3_600_000  # energy inside the firmware is in milli-joules (W x ms)
MJ_PER_KWH: Final = 1_000 * MJ_PER_WH

_AMOUNT = re.compile(r"([+-]?)(\d+)(?:\.(\d{1,5}))?")


class MoneyError(FirmwareError):
    """An amount of money that cannot be parsed or priced."""


@dataclass(frozen=True, order=True, slots=True)
class Money:
    """An amount in EUR held as an integer number of milli-cents."""

    milli_cents: int

    @classmethod
    def parse(cls, text: str) -> Money:
        """Read "20", "20.00", "-3.45" or up to five decimals ("0.15750")."""
        match = _AMOUNT.fullmatch(text.strip())
        if match is None:
            raise MoneyError(f"not an amount of money: {text!r} (expected e.g. 20.00 or -3.45)")
        sign, units, decimals = match.groups()
        fraction = int((decimals or "").ljust(DECIMALS, "0"))
        value = int(units) * MILLI_CENTS_PER_EUR + fraction
        return cls(-value if sign == "-" else value)

    @classmethod
    def eur(cls, euros: int, cents: int = 0) -> Money:
        """Money.eur(20) is 20.00 EUR, Money.eur(0, 50) is 0.50 EUR."""
        return cls(euros * MILLI_CENTS_PER_EUR + cents * MILLI_CENTS_PER_CENT)

    def format(self, places: int = 2) -> str:
        """Decimal text with `places` decimals, e.g. "-3.45".

        Rounds towards minus infinity, so a display never shows more credit than there is.
        """
        if not 0 <= places <= DECIMALS:
            raise MoneyError(f"places must be 0..{DECIMALS}, got {places}")
        step = 10 ** (DECIMALS - places)
        shown = (self.milli_cents // step) * step
        units, fraction = divmod(abs(shown), MILLI_CENTS_PER_EUR)
        sign = "-" if shown < 0 else ""
        if places == 0:
            return f"{sign}{units}"
        return f"{sign}{units}.{fraction // step:0{places}d}"

    def __str__(self) -> str:
        return self.format()

    @property
    def is_whole_cents(self) -> bool:
        return self.milli_cents % MILLI_CENTS_PER_CENT == 0

    def __add__(self, other: Money) -> Money:
        return Money(self.milli_cents + other.milli_cents)

    def __sub__(self, other: Money) -> Money:
        return Money(self.milli_cents - other.milli_cents)

    def __neg__(self) -> Money:
        return Money(-self.milli_cents)

    def __mul__(self, times: int) -> Money:
        return Money(self.milli_cents * times)


ZERO: Final = Money(0)


def charge_for_energy(energy_mj: int, price_per_kwh: Money) -> Money:
    """The charge for `energy_mj` milli-joules at `price_per_kwh`, rounded down to the milli-cent.

    A single charge on its own; to charge energy in slices use a `ChargeAccumulator`.
    """
    return ChargeAccumulator().charge(energy_mj, price_per_kwh)


def energy_mj(wh: int) -> int:
    """Whole Wh to the firmware's milli-joules."""
    return wh * MJ_PER_WH


@dataclass(slots=True)
class ChargeAccumulator:
    """Prices energy slice by slice and carries what is left below one milli-cent.

    `remainder` is in units of 1/MJ_PER_KWH milli-cent, which does not depend on the price, so
    one accumulator can follow price changes (peak/off-peak) and the NVM can persist it as an int.
    """

    remainder: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.remainder < MJ_PER_KWH:
            raise MoneyError(f"charge remainder out of range: {self.remainder}")

    def charge(self, energy_mj: int, price_per_kwh: Money) -> Money:
        if energy_mj < 0:
            raise MoneyError(f"cannot charge negative energy ({energy_mj} mJ)")
        owed, self.remainder = divmod(
            self.remainder + energy_mj * price_per_kwh.milli_cents, MJ_PER_KWH
        )
        return Money(owed)
