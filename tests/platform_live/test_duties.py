"""What the live platform has due at a given time (headend.platform.duties), from a ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from headend.platform.billing import DailyIndexes
from headend.platform.duties import CarryOut, Collect, Tick, collection_day, due_duties
from headend.platform.ledger import Ledger
from headend.platform.live import DEFAULT_PRICES
from headend.platform.service import Platform

SERIAL = "VM0000000001"
EAN = "541448860000000011"
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TUESDAY_MIDNIGHT = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # local 00:00


def test_a_day_is_collected_five_minutes_after_local_midnight() -> None:  # rule E3
    assert collection_day(TUESDAY_MIDNIGHT + timedelta(minutes=4)) is None
    assert collection_day(TUESDAY_MIDNIGHT + timedelta(minutes=5)) == date(2026, 3, 2)
    # summer time: Brussels midnight is 22:00 UTC
    assert collection_day(datetime(2026, 7, 1, 22, 5, tzinfo=UTC)) == date(2026, 7, 1)


def test_collect_once_then_tick_then_carry_out(tmp_path: Path) -> None:  # rules E3, P4, P5
    platform = Platform(Ledger(tmp_path / "p.sqlite"))
    platform.register_meter(SERIAL, EAN, DEFAULT_PRICES, MONDAY, consent_15min=True)
    at = TUESDAY_MIDNIGHT + timedelta(minutes=10)
    assert due_duties(platform.ledger, at, {}, {}) == [Collect(SERIAL, date(2026, 3, 2), True)]
    assert due_duties(platform.ledger, at, {SERIAL: date(2026, 3, 2)}, {}) == []
    assert due_duties(platform.ledger, at, {}, {SERIAL: at + timedelta(minutes=1)}) == []
    platform.receive_daily_indexes(SERIAL, DailyIndexes(date(2026, 3, 2), 0, 0), at)
    # Tuesday: 300 kWh at 0.1575 EUR: the emergency credit is used up at Wednesday 00:10,
    # inside the non-disconnect period, so the cut waits for 08:00 (P5)
    wednesday = at + timedelta(days=1)
    platform.receive_daily_indexes(SERIAL, DailyIndexes(date(2026, 3, 3), 300_000, 0), wednesday)
    assert due_duties(platform.ledger, wednesday, {}, {}) == []
    eight = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
    assert due_duties(platform.ledger, eight, {}, {}) == [Tick(SERIAL)]
    platform.tick(SERIAL, eight)
    (carry,) = due_duties(platform.ledger, eight, {}, {})
    assert isinstance(carry, CarryOut) and [kind.value for _, kind in carry.orders] == [
        "disconnect"
    ]
    platform.ledger.close()
