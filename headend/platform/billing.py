"""A day's bill from two daily index snapshots (rules P1, P3, P7, M6), pure arithmetic.

Consumption is the difference of the 1.8.1 (peak) and 1.8.2 (off-peak) indexes, each priced at
its own tariff with the sub-milli-cent remainder carried to the next day (M6). The starting
credit is repaid at 1 EUR per day on top of consumption (P1).

Gas goes through the same arithmetic (``volume_indexes``, ``one_rate``): its one register, the
volume in dm3, stands in the peak index, priced per m3 as electricity per kWh (1000 units to
the priced unit both), so its remainders carry the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from firmware.rules.localtime import to_local
from headend.platform.errors import PlatformError
from headend.platform.money import price_energy
from headend.platform.rules import DEFAULT_PLATFORM_RULES, PlatformRules


@dataclass(frozen=True, slots=True)
class DailyIndexes:
    """The midnight snapshot (E3) that closes local day `day`: cumulative import in Wh."""

    day: date
    peak_wh: int  # 1.8.1
    offpeak_wh: int  # 1.8.2

    def __post_init__(self) -> None:
        if self.peak_wh < 0 or self.offpeak_wh < 0:
            raise PlatformError(f"negative index on {self.day}: {self.peak_wh}/{self.offpeak_wh}")


@dataclass(frozen=True, slots=True)
class Prices:
    """Tariff prices in milli-cents per kWh (0.1575 EUR/kWh is 15_750)."""

    peak: int
    offpeak: int


def opening_day(enrolled: datetime) -> date:
    """The day an account's opening reading (its registers read at enrolment) is dated: the
    local day before, so the first snapshot collected, closing the enrolment day, is billed
    from the reading and no energy used since enrolment goes unbilled (M6)."""
    return to_local(enrolled).date() - timedelta(days=1)


def volume_indexes(day: date, dm3: int) -> DailyIndexes:
    """A gas meter's midnight volume (G1, as E3) as the day's indexes: one register."""
    return DailyIndexes(day, dm3, 0)


def one_rate(price: int) -> Prices:
    """One price for every tariff: gas, in milli-cents per m3 (0.85 EUR/m3 is 85_000)."""
    return Prices(price, price)


@dataclass(frozen=True, slots=True)
class Remainders:
    """M6: what was left below one milli-cent per tariff, in thousandths of a milli-cent."""

    peak: int = 0
    offpeak: int = 0


@dataclass(frozen=True, slots=True)
class DayBill:
    """What the period between two snapshots costs; amounts positive, in milli-cents."""

    day: date
    consumption_wh: int
    charge: int
    repayment: int
    remainders: Remainders


def bill_day(
    previous: DailyIndexes,
    current: DailyIndexes,
    prices: Prices,
    remainders: Remainders,
    outstanding_advance: int,
    rules: PlatformRules = DEFAULT_PLATFORM_RULES,
) -> DayBill:
    """Price the consumption from `previous` to `current` and the P1 repayment (1 EUR per day
    covered, never more than what is still owed)."""
    days = (current.day - previous.day).days
    if days <= 0:
        raise PlatformError(f"indexes of {current.day} do not follow those of {previous.day}")
    peak_wh = current.peak_wh - previous.peak_wh
    offpeak_wh = current.offpeak_wh - previous.offpeak_wh
    if peak_wh < 0 or offpeak_wh < 0:
        raise PlatformError(f"indexes of {current.day} went backwards from {previous.day}")
    peak_charge, peak_rest = price_energy(peak_wh, prices.peak, remainders.peak)
    offpeak_charge, offpeak_rest = price_energy(offpeak_wh, prices.offpeak, remainders.offpeak)
    repayment = min(max(0, outstanding_advance), rules.daily_repayment * days)
    return DayBill(
        day=current.day,
        consumption_wh=peak_wh + offpeak_wh,
        charge=peak_charge + offpeak_charge,
        repayment=repayment,
        remainders=Remainders(peak_rest, offpeak_rest),
    )


def emergency_credit_left(balance: int, rules: PlatformRules = DEFAULT_PLATFORM_RULES) -> int:
    """P3/E7 (94.32.2/3): the emergency credit still available; all of it while the balance
    is not negative, none once the balance is at -15 EUR."""
    return max(0, rules.emergency_credit + min(0, balance))


def estimated_balance(
    last_balance: int, seconds_since: int, recent_daily_charges: list[int]
) -> int:
    """P7: the portal's estimate, the last computed balance minus the average daily charge of
    the last 7 days for the time elapsed since (rounded down: never more credit than exists)."""
    week = recent_daily_charges[-7:]
    if not week or seconds_since <= 0:
        return last_balance
    return last_balance - (-(-sum(week) * seconds_since // (len(week) * 86_400)))
