"""Brief: bad input to the platform gets a clear error and loses nothing; no credit is created
or lost (rule M6). A corrupt, foreign, unreachable or newer ``--db`` is refused and left as it
was; a malformed amount or an unknown reference books nothing (P6); a meter answering garbage
during collection leaves the others served and nothing billed twice (R1); the same day's
indexes collected twice are billed once."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from live_rig import central_config
from loopback import MANAGEMENT_PASSWORD
from test_live_in_process import TUESDAY_0010, WEDNESDAY_0010, Meters, ean, platform_over

from emulator.cli import main
from headend.loopback import LoopbackTransport
from headend.platform.billing import DailyIndexes, Prices
from headend.platform.errors import PlatformError
from headend.platform.ledger import Ledger
from headend.platform.live import RETRY, Enrolment, LivePlatform
from headend.platform.service import Platform
from headend.session import ApduTransport, Session

pytestmark = pytest.mark.timeout(60)

SERIAL = "VM0000000001"
EAN = ean(1)
REFERENCE = EAN[-13:]
PRICES = Prices(peak=15_750, offpeak=7_460)
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def dump(db: Path) -> str:
    """Every row of every table: equal dumps, nothing booked."""
    connection = sqlite3.connect(db)
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert captured.err.startswith("vmeter headend: ") and captured.err.count("\n") == 1
    return captured.err


# -- --db ---------------------------------------------------------------------------------------


def _garbage(path: Path) -> Path:
    path.write_bytes(b"garbage, not SQLite")
    return path


def _foreign(path: Path) -> Path:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE customers (name TEXT)")
    connection.execute("INSERT INTO customers VALUES ('Ada')")
    connection.commit()
    connection.close()
    return path


def _newer(path: Path) -> Path:
    Ledger(path).close()
    connection = sqlite3.connect(path)
    connection.execute("INSERT INTO schema_version VALUES (999)")
    connection.commit()
    connection.close()
    return path


def _truncated(path: Path) -> Path:
    ledger = Ledger(path)
    Platform(ledger).register_meter(SERIAL, EAN, PRICES, AT)
    ledger.close()
    path.write_bytes(path.read_bytes()[:1500])
    return path


BAD_DATABASES = {
    "garbage": (_garbage, "not a usable platform database"),
    "another program's SQLite file": (_foreign, "not a platform database"),
    "a newer platform's": (_newer, "newer than this platform"),
    "truncated": (_truncated, "not a usable platform database"),
    "a directory": (lambda path: path.parent, "cannot open the platform database"),
}


@pytest.mark.parametrize("verb", [["platform-status"], ["topup", REFERENCE, "10.00"]])
@pytest.mark.parametrize(("make", "says"), BAD_DATABASES.values(), ids=list(BAD_DATABASES.keys()))
def test_a_bad_database_is_refused_in_one_line_and_left_as_it_was(
    make: object, says: str, verb: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert callable(make)
    db = make(tmp_path / "platform.sqlite")
    before = _fingerprint(db)
    assert main(["headend", *verb, "--db", str(db)]) == 2
    assert says in one_error_line(capsys)
    assert _fingerprint(db) == before


def test_a_database_in_a_missing_directory_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "no" / "such" / "dir" / "platform.sqlite"
    assert main(["headend", "platform-status", "--db", str(db)]) == 2
    assert "cannot open the platform database" in one_error_line(capsys)
    assert not db.parent.exists()


def _fingerprint(path: Path) -> dict[str, str]:
    """The file's bytes (a directory's listing): SQLite must not add tables, WAL or journals."""
    if path.is_dir():
        return {child.name: "" for child in path.iterdir()}
    siblings = sorted(path.parent.glob(path.name + "*"))
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in siblings}


# -- top-ups (P6) -------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "platform.sqlite"
    ledger = Ledger(path)
    Platform(ledger).register_meter(SERIAL, EAN, PRICES, AT)
    ledger.close()
    yield path


MALFORMED_AMOUNTS = [
    "abc", "", " ", "nan", "inf", "-inf", "1e3", "10,00", "10.001", "10.00.00", "0x10",
    "-5.00", "0", "4.99", "250.01", "1000000000000000000000", "10 EUR", "€10",
]  # fmt: skip


@pytest.mark.parametrize("amount", MALFORMED_AMOUNTS)
@pytest.mark.parametrize("who", [SERIAL, REFERENCE])
def test_a_malformed_amount_books_nothing(
    amount: str, who: str, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = dump(db)
    assert main(["headend", "topup", "--db", str(db), "--", who, amount]) == 1
    error = one_error_line(capsys)
    assert "refused" in error or "not an amount" in error
    assert dump(db) == before


@pytest.mark.parametrize(
    "reference", ["0000000000000", "541440000000", "54144000000000", "VM0000000002", "x" * 13]
)
def test_an_unknown_reference_books_nothing(
    reference: str, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = dump(db)
    assert main(["headend", "topup", reference, "10.00", "--db", str(db)]) == 1
    assert "reference" in one_error_line(capsys)
    assert dump(db) == before


def test_a_good_top_up_after_the_bad_ones_is_booked_once(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the control: the same database still takes a payment, exactly once
    for amount in ("abc", "10.001", "10.00"):
        main(["headend", "topup", REFERENCE, amount, "--db", str(db), "--at", "2026-03-02T12:00"])
    ledger = Ledger(db)
    try:
        assert ledger.balance(SERIAL) == (20 + 10) * 100_000  # P1 starting credit + the top-up
    finally:
        ledger.close()


# -- collection ---------------------------------------------------------------------------------


class GarbledLine(ApduTransport):
    """The wire to a real meter, garbling every answer after the association's: a meter (or a
    line) answering garbage in the middle of a collection."""

    def __init__(self, inner: ApduTransport, garbage: bytes) -> None:
        self._inner, self._garbage, self._answers = inner, garbage, 0

    async def send(self, apdu: bytes) -> None:
        await self._inner.send(apdu)

    async def receive(self, timeout_s: float) -> bytes:
        answer = await self._inner.receive(timeout_s)
        self._answers += 1
        return answer if self._answers == 1 else self._garbage

    async def close(self) -> None:
        await self._inner.close()


GARBAGE = {
    "random bytes": bytes.fromhex("deadbeef00ff"),
    "empty": b"",
    "a get-response cut short": bytes.fromhex("c401c1000102"),
    "a get-response of the wrong shape": bytes.fromhex("c401c100120007"),  # long-unsigned 7
    "an exception-response": bytes.fromhex("d80101"),
}


def two_meters(tmp_path: Path) -> tuple[Meters, LivePlatform]:
    meters = Meters(
        central_config(6000, SERIAL, ean(1)), central_config(3000, "VM0000000002", ean(2))
    )
    return meters, platform_over(meters, tmp_path / "p.sqlite", Enrolment())


@pytest.mark.parametrize("garbage", GARBAGE.values(), ids=GARBAGE.keys())
async def test_a_meter_answering_garbage_leaves_the_others_served_and_bills_once(
    garbage: bytes, tmp_path: Path
) -> None:
    meters, live = two_meters(tmp_path)
    for serial in meters.devices:
        await live.enrol(serial)
    good_sessions = live.open_session
    opening = live.platform.ledger.last_indexes(SERIAL)  # read at enrolment

    async def the_first_garbled(serial: str) -> Session:
        if serial != SERIAL:
            return await good_sessions(serial)
        line = GarbledLine(LoopbackTransport(meters.devices[serial].association(1)), garbage)
        return Session(line, password=MANAGEMENT_PASSWORD)

    live.open_session = the_first_garbled
    ledger = live.platform.ledger
    await meters.run(TUESDAY_0010)
    await live.step()  # the first answers garbage: nothing stored for it, the second served
    assert ledger.last_indexes(SERIAL) == opening
    assert ledger.last_indexes("VM0000000002") is not None
    await meters.run(WEDNESDAY_0010)
    await live.step()  # the second billed Tuesday; the first still waits (retry)
    charged = ledger.balance("VM0000000002")
    live.open_session = good_sessions  # the line is mended
    live.clock = _Later(meters, RETRY)
    await live.step()
    first, second = ledger.last_indexes(SERIAL), ledger.last_indexes("VM0000000002")
    assert first is not None and second is not None and first.day == second.day
    assert ledger.balance("VM0000000002") == charged  # nothing billed twice (M6)
    ledger.close()


class _Later:
    """The meters' clock, ``by`` later: the platform's retry has come."""

    def __init__(self, meters: Meters, by: timedelta) -> None:
        self._clock = next(iter(meters.runtimes.values())).clock
        self._by = by

    def now(self) -> datetime:
        return self._clock.now() + self._by


async def test_the_same_days_indexes_collected_twice_are_billed_once(tmp_path: Path) -> None:
    # a platform restarted on its database forgets what it did in memory; the ledger does not
    meters, live = two_meters(tmp_path)
    for serial in meters.devices:
        await live.enrol(serial)
    for midnight in (TUESDAY_0010, WEDNESDAY_0010):
        await meters.run(midnight)
        await live.step()
    db = tmp_path / "p.sqlite"
    before = dump(db)
    restarted = platform_over(meters, db, Enrolment())
    await restarted.step()
    assert dump(db) == before
    last = restarted.platform.ledger.last_indexes(SERIAL)
    assert last is not None and last.day == date(2026, 3, 3)
    with pytest.raises(PlatformError, match="already received"):
        restarted.platform.receive_daily_indexes(SERIAL, last, WEDNESDAY_0010)
    older = DailyIndexes(date(2026, 3, 2), last.peak_wh, last.offpeak_wh)
    with pytest.raises(PlatformError, match="already received"):
        restarted.platform.receive_daily_indexes(SERIAL, older, WEDNESDAY_0010)
    assert dump(db) == before
    restarted.platform.ledger.close()
    live.platform.ledger.close()
