"""A central-mode customer over 30 days of daily indexes (rules P1-P9, E7, M6)."""

from __future__ import annotations

from datetime import date, timedelta

from platform_facts import EAN, PRICES, REFERENCE, SERIAL, START, local

from headend.platform.billing import DailyIndexes
from headend.platform.decisions import NoticeKind, Supply
from headend.platform.ledger import EntryKind
from headend.platform.service import Platform

FIRST_DAY = date(2026, 11, 1)  # Sunday; the first snapshot only opens the account
HEAVY_FRIDAY = date(2026, 11, 20)
MONDAY = date(2026, 11, 23)


def feed_days(platform: Platform, last: date) -> dict[date, list[str]]:
    """Daily indexes from FIRST_DAY to `last`, each collected at 01:00 the next day.

    Normal days: 4 kWh peak + 2 kWh off-peak; the heavy Friday 12 kWh peak."""
    notices: dict[date, list[str]] = {}
    peak = offpeak = 0
    day = FIRST_DAY
    while day <= last:
        if day > FIRST_DAY:
            peak += 12_000 if day == HEAVY_FRIDAY else 4_000
            offpeak += 2_000
        decision = platform.receive_daily_indexes(
            SERIAL, DailyIndexes(day, peak, offpeak), local(day + timedelta(days=1), 1)
        )
        notices[day] = [n.kind.value for n in decision.notices]
        day += timedelta(days=1)
    return notices


def test_thirty_days_of_a_central_prepayment_customer(platform: Platform) -> None:
    platform.register_meter(SERIAL, EAN, PRICES, START)
    ledger = platform.ledger
    # P1: 20 EUR starting credit.
    assert ledger.balance(SERIAL) == 2_000_000

    notices = feed_days(platform, date(2026, 11, 19))
    # rule P1: each day costs 4 x 0.1575 + 2 x 0.0746 = 0.7792 EUR plus 1 EUR repayment.
    assert ledger.total(SERIAL, EntryKind.CHARGE) == -18 * 77_920
    assert ledger.total(SERIAL, EntryKind.REPAYMENT) == -18 * 100_000
    # rule P2: one low-balance notification, the day the balance reached 5 EUR.
    assert notices[date(2026, 11, 10)] == ["low_balance"]
    assert sum(n.count("low_balance") for n in map(" ".join, notices.values())) == 1
    # rule P3: the emergency credit starts by itself below zero, with date and time.
    assert notices[date(2026, 11, 13)] == ["emergency_credit"]
    texts = [m.text for m in ledger.notices(SERIAL)]
    assert "Crédit de secours activé le 14/11/26 à 01:00" in texts[-1]

    # rules P4, P5: Friday's heavy consumption exhausts the emergency credit; the platform
    # learns it on Saturday 01:00, inside the weekend's non-disconnect period.
    notices = feed_days_from(platform, date(2026, 11, 20), MONDAY - timedelta(days=1))
    assert notices[HEAVY_FRIDAY] == ["disconnection_imminent"]
    assert "sera coupé" in ledger.notices(SERIAL)[-1].text
    assert "23/11/26 à 08:00" in ledger.notices(SERIAL)[-1].text
    assert ledger.orders(SERIAL) == []
    assert platform.tick(SERIAL, local(MONDAY, 7, 59)).orders == ()
    cut = platform.tick(SERIAL, local(MONDAY, 8, 0))
    assert [o.kind.value for o in cut.orders] == ["disconnect"]
    assert cut.state.supply is Supply.DISCONNECTED
    assert ledger.orders(SERIAL) == [(local(MONDAY, 8, 0), "disconnect")]

    # rule P1: the advance is repaid after 20 days, never more.
    assert ledger.total(SERIAL, EntryKind.REPAYMENT) == -2_000_000
    assert ledger.outstanding_advance(SERIAL) == 0

    # rule P8: a top-up leaving the balance below 0.50 EUR does not enable reconnection...
    balance = ledger.balance(SERIAL)
    assert balance < -1_500_000
    small = platform.top_up(REFERENCE, "5.00", local(MONDAY, 12))
    assert small.decision.orders == ()
    assert [n.kind for n in small.decision.notices] == [NoticeKind.TOP_UP_RECEIVED]  # rule P9
    # ... nor one leaving it a fraction of a cent short of 0.50 EUR ...
    short = (50_000 - ledger.balance(SERIAL)) // 1_000 * 1_000  # whole cents, just below
    just_short = platform.top_up(REFERENCE, eur_text(short), local(MONDAY, 13))
    assert 49_000 < just_short.balance < 50_000
    assert just_short.decision.orders == ()
    # ... one bringing it to at least 0.50 EUR does.
    enough = platform.top_up(REFERENCE, "5.00", local(MONDAY, 14))
    assert [o.kind.value for o in enough.decision.orders] == ["reconnect_enable"]
    assert enough.decision.state.supply is Supply.RECONNECT_ENABLED
    assert "appuyez quelques secondes sur le bouton" in ledger.notices(SERIAL)[-1].text

    # Day 30: consumption goes on; the balance dips below zero again, so the emergency credit
    # starts again with a new notification (P3), and nothing is cut (P4: 15 EUR not used up).
    notices = feed_days_from(platform, MONDAY, date(2026, 12, 1))
    assert sum(kinds.count("emergency_credit") for kinds in notices.values()) == 1
    assert all("disconnect" not in " ".join(kinds) for kinds in notices.values())
    # E7: the daily push carries the balance, the emergency credit left and the time.
    pushed_at = local(date(2026, 12, 2), 6)
    push = platform.daily_push(SERIAL, pushed_at)
    assert push.at == pushed_at
    assert -1_500_000 < push.balance == ledger.balance(SERIAL) < 0
    assert push.emergency_credit == 1_500_000 + push.balance
    # M6: money in = money out + balance.
    money_in = ledger.total(SERIAL, EntryKind.TOP_UP) + ledger.total(
        SERIAL, EntryKind.STARTING_CREDIT
    )
    money_out = -ledger.total(SERIAL, EntryKind.CHARGE) - ledger.total(SERIAL, EntryKind.REPAYMENT)
    assert money_in == money_out + ledger.balance(SERIAL)


def feed_days_from(platform: Platform, first: date, last: date) -> dict[date, list[str]]:
    """Continue `feed_days`' pattern from `first` to `last`."""
    previous = platform.ledger.last_indexes(SERIAL)
    assert previous is not None
    notices: dict[date, list[str]] = {}
    peak, offpeak = previous.peak_wh, previous.offpeak_wh
    day = first
    while day <= last:
        peak += 12_000 if day == HEAVY_FRIDAY else 4_000
        offpeak += 2_000
        decision = platform.receive_daily_indexes(
            SERIAL, DailyIndexes(day, peak, offpeak), local(day + timedelta(days=1), 1)
        )
        notices[day] = [n.kind.value for n in decision.notices]
        day += timedelta(days=1)
    return notices


def eur_text(milli_cents: int) -> str:
    return f"{milli_cents // 100_000}.{milli_cents % 100_000 // 1_000:02d}"


def test_consumption_alert_and_seven_day_estimate(platform: Platform) -> None:  # rules R2, P7
    platform.register_meter(SERIAL, EAN, PRICES, START, alert_percent=20)
    peak = 0
    alerts: list[date] = []
    for n in range(9):
        day = FIRST_DAY + timedelta(days=n)
        peak += 0 if n == 0 else (8_000 if n == 8 else 6_000)  # day 8: +33 % over the average
        decision = platform.receive_daily_indexes(
            SERIAL, DailyIndexes(day, peak, 0), local(day + timedelta(days=1), 1)
        )
        alerts += [day for x in decision.notices if x.kind is NoticeKind.CONSUMPTION_ALERT]
    assert alerts == [FIRST_DAY + timedelta(days=8)]
    [alert] = [m for m in platform.ledger.notices(SERIAL) if m.kind == "consumption_alert"]
    assert alert.text.startswith("Dépassement de consommation de plus de 20 % : 8000 Wh")
    # P7: last 7 days charged 6 x 0.945 + 1.26 EUR; half a day after the last snapshot the
    # estimate is the balance less half the average (0.5 x 0.99 EUR).
    last_midnight = local(FIRST_DAY + timedelta(days=9), 0)
    noon = last_midnight + timedelta(hours=12)
    balance = platform.ledger.balance(SERIAL)
    assert platform.estimated_balance(SERIAL, noon) == balance - (6 * 94_500 + 126_000) // 14
    assert platform.estimated_balance(SERIAL, last_midnight) == balance
