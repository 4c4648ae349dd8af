"""Money on the platform: integer milli-cents (M6), parsed with the rules' ``Money`` and
formatted in French for the customer's notifications."""

from __future__ import annotations

from typing import Final

from firmware.rules.money import Money, MoneyError
from headend.platform.errors import PlatformError

MILLI_CENTS_PER_EUR: Final = 100_000
MILLI_CENTS_PER_CENT: Final = 1_000
WH_PER_KWH: Final = 1_000


def parse_eur(text: str) -> int:
    """Milli-cents from text such as "20", "20.00", "-3.45" or "0.15750" (five decimals max)."""
    try:
        return Money.parse(text).milli_cents
    except MoneyError as error:
        raise PlatformError(str(error)) from None


def format_eur(milli_cents: int, places: int = 2) -> str:
    """French notation ("-3,45") for customer texts, rounded towards minus infinity so no one
    is shown more credit than there is."""
    step = 10 ** (5 - places)
    shown = (milli_cents // step) * step
    units, fraction = divmod(abs(shown), MILLI_CENTS_PER_EUR)
    sign = "-" if shown < 0 else ""
    return f"{sign}{units},{fraction // step:0{places}d}" if places else f"{sign}{units}"


def price_energy(wh: int, price_per_kwh: int, remainder: int) -> tuple[int, int]:
    """M6: the charge in milli-cents for `wh` at `price_per_kwh` milli-cents, with the
    sub-milli-cent remainder (thousandths of a milli-cent) carried in and out."""
    if wh < 0 or price_per_kwh < 0 or not 0 <= remainder < WH_PER_KWH:
        raise PlatformError(f"cannot price {wh} Wh at {price_per_kwh} milli-cents/kWh")
    return divmod(wh * price_per_kwh + remainder, WH_PER_KWH)
