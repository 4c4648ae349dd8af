"""The platform's SQLite store: meters, daily indexes, 15-minute profile, ledger, outbox, orders.

Every credit movement is one row of `entries` with a signed amount in milli-cents, so the
balance is their sum and M6 can be checked by query: top-ups + advances - charges - repayments.
WAL mode; the schema grows by numbered migrations recorded in `schema_version`.
"""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final

from headend.platform.billing import DailyIndexes, Prices, Remainders
from headend.platform.decisions import AccountState, Notice, Order, Supply
from headend.platform.errors import PlatformError

MIGRATIONS: Final[tuple[str, ...]] = (
    """
    CREATE TABLE meters (
        serial TEXT PRIMARY KEY,
        ean TEXT NOT NULL UNIQUE,
        reference TEXT NOT NULL UNIQUE,
        energy TEXT NOT NULL CHECK (energy IN ('electricity', 'gas')),
        consent_15min INTEGER NOT NULL,
        communicating INTEGER NOT NULL,
        price_peak INTEGER NOT NULL CHECK (price_peak >= 0),
        price_offpeak INTEGER NOT NULL CHECK (price_offpeak >= 0),
        alert_percent INTEGER,
        remainder_peak INTEGER NOT NULL DEFAULT 0,
        remainder_offpeak INTEGER NOT NULL DEFAULT 0,
        supply TEXT NOT NULL DEFAULT 'connected',
        low_notified INTEGER NOT NULL DEFAULT 0,
        emergency_notified INTEGER NOT NULL DEFAULT 0,
        disconnect_due TEXT
    );
    CREATE TABLE daily_indexes (
        serial TEXT NOT NULL REFERENCES meters(serial),
        day TEXT NOT NULL,
        peak_wh INTEGER NOT NULL,
        offpeak_wh INTEGER NOT NULL,
        consumption_wh INTEGER,
        charge INTEGER,
        PRIMARY KEY (serial, day)
    );
    CREATE TABLE profile (
        serial TEXT NOT NULL REFERENCES meters(serial),
        at TEXT NOT NULL,
        wh INTEGER NOT NULL,
        PRIMARY KEY (serial, at)
    );
    CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        serial TEXT NOT NULL REFERENCES meters(serial),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        amount INTEGER NOT NULL,
        CHECK ((kind IN ('top_up', 'starting_credit') AND amount > 0)
            OR (kind IN ('charge', 'repayment') AND amount <= 0)
            OR kind = 'carried_balance')
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        serial TEXT NOT NULL REFERENCES meters(serial),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        published INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE orders (
        id INTEGER PRIMARY KEY,
        serial TEXT NOT NULL REFERENCES meters(serial),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        sent INTEGER NOT NULL DEFAULT 0
    );
    """,
    # P2: the customer or an agent may set their own low-credit threshold (NULL: the default).
    "ALTER TABLE meters ADD COLUMN low_credit_threshold INTEGER",
    # An opening reading (taken at enrolment, within a day) and the period billed from it cover
    # part of a day: kept out of the daily averages (R2, P7).
    "ALTER TABLE daily_indexes ADD COLUMN partial INTEGER NOT NULL DEFAULT 0",
)


class EntryKind(enum.Enum):
    """M6's terms: money in (top-ups, advances) and money out (charges, repayments)."""

    TOP_UP = "top_up"
    STARTING_CREDIT = "starting_credit"  # P1 advance
    CARRIED_BALANCE = "carried_balance"  # P1: kept when moving from a budget meter
    CHARGE = "charge"
    REPAYMENT = "repayment"  # P1 1 EUR/day


class Energy(enum.Enum):
    ELECTRICITY = "electricity"
    GAS = "gas"


@dataclass(frozen=True, slots=True)
class Meter:
    serial: str
    ean: str
    reference: str  # P6: last 13 digits of the EAN
    energy: Energy
    consent_15min: bool  # R1
    communicating: bool  # R3
    prices: Prices
    alert_percent: int | None  # R2
    low_credit_threshold: int | None = None  # P2, milli-cents; None: the rules' default


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    serial: str
    at: datetime
    kind: str
    text: str


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise PlatformError("the ledger stores timezone-aware times only")
    return moment.astimezone(UTC).isoformat()


class Ledger:
    """One SQLite file; every write is one transaction. Raises PlatformError on a file that is
    not a platform database or is newer than this code."""

    def __init__(self, path: Path | str) -> None:
        try:
            self._db = sqlite3.connect(str(path), isolation_level=None)
        except sqlite3.Error as error:
            raise PlatformError(f"{path}: cannot open the platform database ({error})") from None
        try:
            self._refuse_foreign_database(path)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise PlatformError(f"{path}: not a usable platform database ({error})") from None
        except PlatformError:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def _refuse_foreign_database(self, path: Path | str) -> None:
        """Another program's SQLite file is left as it is: no tables, no WAL mode added."""
        tables = {
            name
            for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if tables and "schema_version" not in tables:
            raise PlatformError(
                f"{path}: not a platform database (it holds tables {', '.join(sorted(tables))})"
            )

    def _migrate(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self._db.execute("SELECT max(version) FROM schema_version").fetchone()
        version = row[0] or 0
        if version > len(MIGRATIONS):
            raise PlatformError(f"database schema {version} is newer than this platform")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            # executescript commits; the version row goes in the same script so both land.
            self._db.executescript(
                f"BEGIN; {script}; INSERT INTO schema_version VALUES ({number}); COMMIT;"
            )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes so a crash leaves either all or none of them."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # meters
    def add_meter(self, meter: Meter) -> None:
        try:
            self._db.execute(
                "INSERT INTO meters (serial, ean, reference, energy, consent_15min, communicating,"
                " price_peak, price_offpeak, alert_percent, low_credit_threshold)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    meter.serial,
                    meter.ean,
                    meter.reference,
                    meter.energy.value,
                    meter.consent_15min,
                    meter.communicating,
                    meter.prices.peak,
                    meter.prices.offpeak,
                    meter.alert_percent,
                    meter.low_credit_threshold,
                ),
            )
        except sqlite3.IntegrityError as error:
            raise PlatformError(f"meter {meter.serial} / EAN {meter.ean}: {error}") from None

    def meter(self, serial: str) -> Meter:
        row = self._db.execute(
            "SELECT serial, ean, reference, energy, consent_15min, communicating, price_peak,"
            " price_offpeak, alert_percent, low_credit_threshold FROM meters WHERE serial = ?",
            (serial,),
        ).fetchone()
        if row is None:
            raise PlatformError(f"unknown meter {serial!r}")
        return Meter(
            row[0], row[1], row[2], Energy(row[3]), bool(row[4]), bool(row[5]),
            Prices(row[6], row[7]), row[8], row[9],
        )  # fmt: skip

    def set_low_credit_threshold(self, serial: str, threshold: int | None) -> None:
        self.meter(serial)  # unknown serial: PlatformError
        self._db.execute(
            "UPDATE meters SET low_credit_threshold = ? WHERE serial = ?", (threshold, serial)
        )

    def serial_for_reference(self, reference: str) -> str | None:
        row = self._db.execute(
            "SELECT serial FROM meters WHERE reference = ?", (reference,)
        ).fetchone()
        return None if row is None else str(row[0])

    def serials(self) -> list[str]:
        return [str(r[0]) for r in self._db.execute("SELECT serial FROM meters ORDER BY serial")]

    # account state
    def account_state(self, serial: str) -> AccountState:
        row = self._db.execute(
            "SELECT supply, low_notified, emergency_notified, disconnect_due FROM meters"
            " WHERE serial = ?",
            (serial,),
        ).fetchone()
        if row is None:
            raise PlatformError(f"unknown meter {serial!r}")
        due = None if row[3] is None else datetime.fromisoformat(row[3])
        return AccountState(
            balance=self.balance(serial),
            supply=Supply(row[0]),
            low_notified=bool(row[1]),
            emergency_notified=bool(row[2]),
            disconnect_due=due,
        )

    def save_account_state(self, serial: str, state: AccountState) -> None:
        due = None if state.disconnect_due is None else _iso(state.disconnect_due)
        self._db.execute(
            "UPDATE meters SET supply = ?, low_notified = ?, emergency_notified = ?,"
            " disconnect_due = ? WHERE serial = ?",
            (state.supply.value, state.low_notified, state.emergency_notified, due, serial),
        )

    def remainders(self, serial: str) -> Remainders:
        row = self._db.execute(
            "SELECT remainder_peak, remainder_offpeak FROM meters WHERE serial = ?", (serial,)
        ).fetchone()
        return Remainders(row[0], row[1])

    def save_remainders(self, serial: str, remainders: Remainders) -> None:
        self._db.execute(
            "UPDATE meters SET remainder_peak = ?, remainder_offpeak = ? WHERE serial = ?",
            (remainders.peak, remainders.offpeak, serial),
        )

    # ledger entries (M6)
    def add_entry(self, serial: str, at: datetime, kind: EntryKind, amount: int) -> None:
        """One credit movement; `amount` as it moves the balance (negative for money out)."""
        self._db.execute(
            "INSERT INTO entries (serial, at, kind, amount) VALUES (?, ?, ?, ?)",
            (serial, _iso(at), kind.value, amount),
        )

    def balance(self, serial: str) -> int:
        row = self._db.execute(
            "SELECT coalesce(sum(amount), 0) FROM entries WHERE serial = ?", (serial,)
        ).fetchone()
        return int(row[0])

    def total(self, serial: str, kind: EntryKind) -> int:
        row = self._db.execute(
            "SELECT coalesce(sum(amount), 0) FROM entries WHERE serial = ? AND kind = ?",
            (serial, kind.value),
        ).fetchone()
        return int(row[0])

    def outstanding_advance(self, serial: str) -> int:
        """P1/M6: starting credit not yet repaid (never below zero by construction)."""
        return self.total(serial, EntryKind.STARTING_CREDIT) + self.total(
            serial, EntryKind.REPAYMENT
        )

    # indexes and profile (R1)
    def last_indexes(self, serial: str) -> DailyIndexes | None:
        row = self._db.execute(
            "SELECT day, peak_wh, offpeak_wh FROM daily_indexes WHERE serial = ?"
            " ORDER BY day DESC LIMIT 1",
            (serial,),
        ).fetchone()
        return None if row is None else DailyIndexes(date.fromisoformat(row[0]), row[1], row[2])

    def add_indexes(
        self,
        serial: str,
        indexes: DailyIndexes,
        consumption_wh: int | None,
        charge: int | None,
        *,
        partial: bool = False,
    ) -> None:
        """A snapshot and what the period it closes was billed (None: not billed, the first);
        ``partial``: an opening reading, or a period billed from one (not whole days)."""
        try:
            self._db.execute(
                "INSERT INTO daily_indexes VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    serial,
                    indexes.day.isoformat(),
                    indexes.peak_wh,
                    indexes.offpeak_wh,
                    consumption_wh,
                    charge,
                    partial,
                ),
            )
        except sqlite3.IntegrityError:
            raise PlatformError(f"{serial}: indexes of {indexes.day} already received") from None

    def last_is_opening(self, serial: str) -> bool:
        """Whether the last indexes stored are the opening reading (partial, not billed)."""
        row = self._db.execute(
            "SELECT partial AND charge IS NULL FROM daily_indexes WHERE serial = ?"
            " ORDER BY day DESC LIMIT 1",
            (serial,),
        ).fetchone()
        return row is not None and bool(row[0])

    def recent_days(self, serial: str, before: date, count: int) -> list[tuple[int, int]]:
        """(consumption Wh, charge) of up to `count` billed whole days before `before`, oldest
        first (the part of a day billed from an opening reading is not one)."""
        rows = self._db.execute(
            "SELECT consumption_wh, charge FROM daily_indexes WHERE serial = ? AND day < ?"
            " AND charge IS NOT NULL AND NOT partial ORDER BY day DESC LIMIT ?",
            (serial, before.isoformat(), count),
        ).fetchall()
        return [(int(r[0]), int(r[1])) for r in reversed(rows)]

    def add_profile(self, serial: str, values: list[tuple[datetime, int]]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO profile VALUES (?, ?, ?)",
            [(serial, _iso(at), wh) for at, wh in values],
        )

    def profile(self, serial: str) -> list[tuple[datetime, int]]:
        rows = self._db.execute(
            "SELECT at, wh FROM profile WHERE serial = ? ORDER BY at", (serial,)
        ).fetchall()
        return [(datetime.fromisoformat(r[0]), int(r[1])) for r in rows]

    # outbox and orders
    def add_notice(self, serial: str, at: datetime, notice: Notice) -> None:
        self._db.execute(
            "INSERT INTO outbox (serial, at, kind, text) VALUES (?, ?, ?, ?)",
            (serial, _iso(at), notice.kind.value, notice.text),
        )

    def add_order(self, serial: str, at: datetime, order: Order) -> None:
        self._db.execute(
            "INSERT INTO orders (serial, at, kind) VALUES (?, ?, ?)",
            (serial, _iso(at), order.kind.value),
        )

    def unpublished(self) -> list[OutboxMessage]:
        """Notifications not yet handed to the transport (topic/e-mail/SMS), oldest first."""
        rows = self._db.execute(
            "SELECT id, serial, at, kind, text FROM outbox WHERE published = 0 ORDER BY id"
        ).fetchall()
        return [OutboxMessage(r[0], r[1], datetime.fromisoformat(r[2]), r[3], r[4]) for r in rows]

    def mark_published(self, message_id: int) -> None:
        self._db.execute("UPDATE outbox SET published = 1 WHERE id = ?", (message_id,))

    def notices(self, serial: str) -> list[OutboxMessage]:
        rows = self._db.execute(
            "SELECT id, serial, at, kind, text FROM outbox WHERE serial = ? ORDER BY id",
            (serial,),
        ).fetchall()
        return [OutboxMessage(r[0], r[1], datetime.fromisoformat(r[2]), r[3], r[4]) for r in rows]

    def unsent_orders(self) -> list[tuple[int, str, datetime, str]]:
        """Orders (id, serial, at, kind) not yet handed to the head-end session, oldest first."""
        rows = self._db.execute(
            "SELECT id, serial, at, kind FROM orders WHERE sent = 0 ORDER BY id"
        ).fetchall()
        return [(int(r[0]), str(r[1]), datetime.fromisoformat(r[2]), str(r[3])) for r in rows]

    def mark_sent(self, order_id: int) -> None:
        self._db.execute("UPDATE orders SET sent = 1 WHERE id = ?", (order_id,))

    def claim_order(self, order_id: int) -> bool:
        """Take an unsent order for carrying out; False if another process took it first (two
        head-ends on one database never send an order twice)."""
        cursor = self._db.execute(
            "UPDATE orders SET sent = 1 WHERE id = ? AND sent = 0", (order_id,)
        )
        return cursor.rowcount == 1

    def release_order(self, order_id: int) -> None:
        """Give back a claimed order that could not be carried out (meter offline)."""
        self._db.execute("UPDATE orders SET sent = 0 WHERE id = ?", (order_id,))

    def purge_before(self, cutoff: datetime) -> None:
        """R1: indexes and profile are kept 3 years; older ones go (the ledger stays)."""
        self._db.execute("DELETE FROM profile WHERE at < ?", (_iso(cutoff),))
        day = cutoff.astimezone(UTC).date().isoformat()
        self._db.execute("DELETE FROM daily_indexes WHERE day < ?", (day,))

    def orders(self, serial: str) -> list[tuple[datetime, str]]:
        rows = self._db.execute(
            "SELECT at, kind FROM orders WHERE serial = ? ORDER BY id", (serial,)
        ).fetchall()
        return [(datetime.fromisoformat(r[0]), str(r[1])) for r in rows]
