"""The platform's SQLite ledger (rules R1, R3, M6): persistence, migrations, refusals."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from platform_facts import EAN, PRICES, REFERENCE, SERIAL, START, local, make_ean

from headend.platform.billing import DailyIndexes
from headend.platform.decisions import AccountState
from headend.platform.errors import PlatformError
from headend.platform.ledger import MIGRATIONS, EntryKind, Ledger
from headend.platform.service import Platform

DAY = date(2026, 11, 2)


def test_the_ledger_survives_reopening_the_database(db_path: Path) -> None:  # rules M6, P7
    ledger = Ledger(db_path)
    platform = Platform(ledger)
    platform.register_meter(SERIAL, EAN, PRICES, START)
    platform.receive_daily_indexes(SERIAL, DailyIndexes(DAY, 1_000, 0), START)
    platform.receive_daily_indexes(SERIAL, DailyIndexes(DAY + timedelta(1), 1_003, 0), START)
    platform.top_up(REFERENCE, "12.34", START)
    before = ledger.balance(SERIAL), ledger.remainders(SERIAL), ledger.notices(SERIAL)
    ledger.close()

    reopened = Ledger(db_path)
    assert (reopened.balance(SERIAL), reopened.remainders(SERIAL), reopened.notices(SERIAL)) == (
        before
    )
    assert reopened.balance(SERIAL) == 2_000_000 - 47 - 100_000 + 1_234_000
    assert reopened.meter(SERIAL).reference == REFERENCE
    assert reopened.account_state(SERIAL) == AccountState(balance=before[0])
    reopened.close()


def test_wal_mode_and_schema_version(db_path: Path) -> None:
    Ledger(db_path).close()
    raw = sqlite3.connect(db_path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("SELECT max(version) FROM schema_version").fetchone()[0] == len(MIGRATIONS)
    raw.close()


def test_a_version_1_database_is_migrated_keeping_its_data(db_path: Path) -> None:
    # A database as the first schema left it, with one customer.
    Ledger(db_path).close()
    raw = sqlite3.connect(db_path)
    raw.executescript(
        "DROP TABLE entries; DROP TABLE outbox; DROP TABLE orders; DROP TABLE profile;"
        " DROP TABLE daily_indexes; DROP TABLE meters; DELETE FROM schema_version;"
    )
    raw.executescript(MIGRATIONS[0] + "; INSERT INTO schema_version VALUES (1);")
    raw.execute(
        "INSERT INTO meters (serial, ean, reference, energy, consent_15min, communicating,"
        " price_peak, price_offpeak) VALUES (?, ?, ?, 'electricity', 0, 1, 15750, 7460)",
        (SERIAL, EAN, REFERENCE),
    )
    raw.commit()
    raw.close()
    ledger = Ledger(db_path)
    assert ledger.meter(SERIAL).low_credit_threshold is None  # the column migration 2 adds
    assert ledger.serial_for_reference(REFERENCE) == SERIAL
    ledger.close()


def test_a_corrupt_database_file_is_refused_clearly(db_path: Path) -> None:
    db_path.write_bytes(b"this is not a database, just some bytes" * 200)
    with pytest.raises(PlatformError, match="not a usable platform database"):
        Ledger(db_path)


def test_a_database_from_a_newer_platform_is_refused(db_path: Path) -> None:
    Ledger(db_path).close()
    raw = sqlite3.connect(db_path)
    raw.execute("INSERT INTO schema_version VALUES (99)")
    raw.commit()
    raw.close()
    with pytest.raises(PlatformError, match="newer"):
        Ledger(db_path)


def test_the_same_day_cannot_be_billed_twice(platform: Platform) -> None:  # rule M6
    platform.register_meter(SERIAL, EAN, PRICES, START)
    platform.receive_daily_indexes(SERIAL, DailyIndexes(DAY, 0, 0), START)
    with pytest.raises(PlatformError, match="already received"):
        platform.receive_daily_indexes(SERIAL, DailyIndexes(DAY, 0, 0), START)


def test_a_meter_registered_twice_is_refused(platform: Platform) -> None:
    platform.register_meter(SERIAL, EAN, PRICES, START)
    with pytest.raises(PlatformError, match=SERIAL):
        platform.register_meter(SERIAL, EAN, PRICES, START)
    assert platform.ledger.balance(SERIAL) == 2_000_000  # one starting credit only (P1)


def test_quarter_hour_profile_only_with_consent(platform: Platform) -> None:  # rule R1
    platform.register_meter(SERIAL, EAN, PRICES, START)
    quarter = [(local(DAY, 0, 15), 120)]
    assert not platform.wants_profile(SERIAL)
    with pytest.raises(PlatformError, match="no consent"):
        platform.receive_daily_indexes(SERIAL, DailyIndexes(DAY, 0, 0), START, quarter)
    assert platform.ledger.profile(SERIAL) == []


def test_consented_profile_stored_and_purged_after_three_years(db_path: Path) -> None:  # R1
    ledger = Ledger(db_path)
    platform = Platform(ledger)
    platform.register_meter(SERIAL, EAN, PRICES, START, consent_15min=True)
    quarter = [(local(DAY, 0, 15), 120), (local(DAY, 0, 30), 80)]
    platform.receive_daily_indexes(SERIAL, DailyIndexes(DAY, 200, 0), START, quarter)
    assert ledger.profile(SERIAL) == quarter
    ledger.purge_before(local(DAY, 0, 20))
    assert ledger.profile(SERIAL) == quarter[1:]
    ledger.purge_before(local(date(2029, 11, 3), 0))
    assert ledger.profile(SERIAL) == []
    assert ledger.balance(SERIAL) == 2_000_000  # the money ledger is never purged
    ledger.close()


def test_manual_index_refused_for_a_communicating_meter(platform: Platform) -> None:  # R3
    platform.register_meter(SERIAL, EAN, PRICES, START)
    with pytest.raises(PlatformError, match="relevé manuel refusé"):
        platform.declare_manual_index(SERIAL, DailyIndexes(DAY, 0, 0), START)
    # A non-communicating meter's declared indexes are billed like collected ones.
    platform.register_meter("OLD01", make_ean(99), PRICES, START, communicating=False)
    platform.declare_manual_index("OLD01", DailyIndexes(DAY, 0, 0), START)
    platform.declare_manual_index("OLD01", DailyIndexes(DAY + timedelta(1), 1_000, 0), START)
    assert platform.ledger.total("OLD01", EntryKind.CHARGE) == -15_750
