"""An account opened with the meter's registers read at enrolment (rules M6, P1, R2, P7): the
first day collected is billed from that reading; its part of a day stays out of the averages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from platform_facts import EAN, PRICES, SERIAL, local

from headend.platform.billing import DailyIndexes, Remainders, opening_day
from headend.platform.decisions import NoticeKind
from headend.platform.errors import PlatformError
from headend.platform.service import Platform

WEDNESDAY = date(2026, 11, 25)
ENROLLED = local(WEDNESDAY, 22)
OPENING = DailyIndexes(opening_day(ENROLLED), 5_000, 1_000)  # a meter installed before


def test_the_opening_reading_is_dated_the_local_day_before_enrolment() -> None:
    assert opening_day(ENROLLED) == date(2026, 11, 24)
    assert opening_day(local(WEDNESDAY, 0, 30)) == date(2026, 11, 24)  # 23:30 UTC on Tuesday


def test_the_first_day_is_billed_from_the_opening_reading(platform: Platform) -> None:
    # rule M6: 3850 Wh off-peak since 22:00 x 7.46 mc/Wh = 28_721 mc, 0 carried; P1: 1 EUR repaid
    platform.register_meter(SERIAL, EAN, PRICES, ENROLLED, opening=OPENING)
    platform.receive_daily_indexes(
        SERIAL, DailyIndexes(WEDNESDAY, 5_000, 4_850), local(WEDNESDAY + timedelta(days=1), 0, 5)
    )
    assert platform.ledger.balance(SERIAL) == 2_000_000 - 28_721 - 100_000
    assert platform.ledger.remainders(SERIAL) == Remainders(0, 0)


def test_without_an_opening_reading_the_first_indexes_are_the_baseline(
    platform: Platform,
) -> None:
    platform.register_meter(SERIAL, EAN, PRICES, ENROLLED)
    platform.receive_daily_indexes(
        SERIAL, DailyIndexes(WEDNESDAY, 5_000, 4_850), local(WEDNESDAY + timedelta(days=1), 0, 5)
    )
    assert platform.ledger.balance(SERIAL) == 2_000_000


def test_an_opening_reading_dated_otherwise_is_refused(platform: Platform) -> None:
    wrong = DailyIndexes(WEDNESDAY, 5_000, 1_000)  # would hide the enrolment day's energy
    with pytest.raises(PlatformError, match="dated 2026-11-24"):
        platform.register_meter(SERIAL, EAN, PRICES, ENROLLED, opening=wrong)
    assert platform.ledger.serials() == []


def test_the_part_of_a_day_stays_out_of_the_alert_and_the_estimate(platform: Platform) -> None:
    # rules R2, P7: averages over whole days; the evening's 500 Wh is no day of its own
    platform.register_meter(SERIAL, EAN, PRICES, ENROLLED, opening=OPENING, alert_percent=20)
    offpeak, alerts = 1_000, []
    for n, wh in enumerate((500, 6_000, 6_000)):
        day = WEDNESDAY + timedelta(days=n)
        offpeak += wh
        decision = platform.receive_daily_indexes(
            SERIAL, DailyIndexes(day, 5_000, offpeak), local(day + timedelta(days=1), 1)
        )
        alerts += [x for x in decision.notices if x.kind is NoticeKind.CONSUMPTION_ALERT]
    assert alerts == []  # 6000 Wh after the 500 Wh evening is no excess
    midnight = local(WEDNESDAY + timedelta(days=3), 0)
    balance = platform.ledger.balance(SERIAL)
    # two whole days of 6000 Wh x 7.46 = 44_760 mc each: half a day is 22_380 mc
    assert platform.estimated_balance(SERIAL, midnight + timedelta(hours=12)) == balance - 22_380
