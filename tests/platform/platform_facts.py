"""The platform tests' shared facts: prices, a meter's identity, Brussels wall-clock instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from firmware.rules.credit import ean_check_digit
from firmware.rules.localtime import local_to_utc
from headend.platform.billing import Prices

PRICES = Prices(peak=15_750, offpeak=7_460)  # 0.1575 and 0.0746 EUR/kWh (seed 004's prices)
SERIAL = "1SAG1100000042"


def make_ean(number: int) -> str:
    """A valid 18-digit EAN (GSRN) with a Belgian-looking prefix."""
    first_17 = f"54144{number:012d}"
    return first_17 + ean_check_digit(first_17)


EAN = make_ean(1234)
REFERENCE = EAN[-13:]
START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # a Sunday


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """The UTC instant of a Brussels wall-clock time."""
    return local_to_utc(day, time(hour, minute))
