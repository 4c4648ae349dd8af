"""``vmeter headend`` meter operations over loopback TCP (profile, limit, balance, a
meter-side token top-up) and the platform's verbs on a database (status with the P7
estimate, R3 refusal, usage errors): the last line is the value, the exit code the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from live_rig import METER_MODE, START, TOKEN_KEY

from emulator.cli import main
from emulator.config import MeterConfig, RunConfig, parse_config
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.tcp_service import TcpService
from firmware.central_balance import BalanceUpdate
from firmware.rules.money import Money
from headend.platform.billing import DailyIndexes
from headend.platform.ledger import Ledger
from headend.platform.live import DEFAULT_PRICES
from headend.platform.service import Platform

pytestmark = pytest.mark.timeout(60)

EAN = "541448860000000011"


@dataclass
class TcpMeter:
    runtime: VirtualMeter
    endpoint: str
    serial: str


@contextlib.asynccontextmanager
async def tcp_meter(config: MeterConfig) -> AsyncIterator[TcpMeter]:
    runtime = VirtualMeter(config, RunConfig(instant=True, start=START))
    service = TcpService(build_logical_device(runtime, config), "127.0.0.1", 0, idle_timeout_s=30)
    await service.start()
    try:
        yield TcpMeter(runtime, f"127.0.0.1:{service.port}", config.meter.identity.serial_number)
    finally:
        await service.close()


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, list[str], str]:
    code = main(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


async def cli(*arguments: str) -> tuple[int, list[str], str]:
    """The CLI runs its own event loop: from an async test, in a thread."""
    out, err = io.StringIO(), io.StringIO()

    def call() -> int:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            return main(list(arguments))

    code = await asyncio.to_thread(call)
    return code, out.getvalue().splitlines(), err.getvalue()


async def test_balance_display_update() -> None:  # E4, E7
    async with tcp_meter(MeterConfig()) as meter:
        at = "2026-03-02T00:00:00+01:00"
        code, out, _ = await cli(
            "headend", "--tcp", meter.endpoint, "--password", "00000000",
            "balance", "--at", at, "--balance", "-3.45", "--emergency", "11.55",
        )  # fmt: skip
    assert (code, out[-1]) == (0, "ok")
    assert meter.runtime.meter.prepayment_balance == BalanceUpdate(
        datetime.fromisoformat(at), Money(-345_000), Money(1_155_000)
    )


async def test_profile_between_two_times() -> None:  # E3
    async with tcp_meter(MeterConfig()) as meter:
        await meter.runtime.run(until=START + timedelta(hours=2))
        since, until = "2026-03-02T10:30:00+01:00", "2026-03-02T11:00:00+01:00"
        arguments = ("headend", "--tcp", meter.endpoint, "profile", "--from", since, "--to", until)
        code, out, _ = await cli(*arguments)
        json_code, json_out, _ = await cli(*arguments[:3], "--json", *arguments[3:])
    assert code == 0
    assert out[0] == "3 entries, Wh: 1-0:1.8.1.255 1-0:1.8.2.255 1-0:2.8.1.255 1-0:2.8.2.255"
    assert out[-1] == "2026-03-02T11:00:00+01:00  500 0 0 0"  # 500 W for an hour
    entries = json.loads(json_out[-1])
    assert json_code == 0 and len(entries) == 3
    assert entries[0] == {
        "at": "2026-03-02T10:30:00+01:00",
        "1-0:1.8.1.255": 250,
        "1-0:1.8.2.255": 0,
        "1-0:2.8.1.255": 0,
        "1-0:2.8.2.255": 0,
    }


async def test_power_limit() -> None:  # E4, P4
    async with tcp_meter(parse_config(METER_MODE)) as meter:
        code, out, _ = await cli(
            "headend", "--tcp", meter.endpoint, "--password", "00000000", "limit", "3000"
        )
        refused, _, _ = await cli("headend", "--tcp", meter.endpoint, "limit", "3000")
    assert (code, out[-1]) == (0, "ok")
    assert meter.runtime.meter.power_limit_w == 3000
    assert refused == 1  # the public client may not


async def test_meter_side_top_up_sends_a_token() -> None:  # P6
    async with tcp_meter(parse_config(METER_MODE)) as meter:
        arguments = (
            "headend", "--tcp", meter.endpoint, "--password", "00000000",
            "topup", meter.serial, "20.00", "--key", TOKEN_KEY, "--seq", "9",
        )  # fmt: skip
        code, out, _ = await cli(*arguments)
        again, _, err = await cli(*arguments)
    assert code == 0
    assert out[0] == "top-up 20.00 EUR"
    assert out[-1].startswith("balance ")
    assert again == 1 and "token refused by the meter: refused: replayed" in err


def test_top_up_needs_a_database_or_a_key(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "headend", "--tcp", "127.0.0.1:1", "topup", "VM1", "20.00")
    assert code == 2 and "--db FILE" in err


def test_a_meter_verb_needs_a_target(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "headend", "limit", "3000")
    assert code == 2 and "--tcp HOST:PORT, --mqtt URL or --serial DEVICE" in err


@pytest.fixture
def billed_database(tmp_path: Path) -> Iterator[Path]:
    """A meter with a week billed at 10 kWh a day (1.58 EUR at 0.1575 EUR/kWh)."""
    db = tmp_path / "platform.sqlite"
    platform = Platform(Ledger(db))
    platform.register_meter("VM0000000001", EAN, DEFAULT_PRICES, START)
    for n in range(8):
        day = date(2026, 3, 2) + timedelta(days=n)
        at = datetime(2026, 3, 3, 0, 10, tzinfo=UTC) + timedelta(days=n)
        platform.receive_daily_indexes("VM0000000001", DailyIndexes(day, 10_000 * n, 0), at)
    platform.ledger.close()
    yield db


def test_status_shows_the_seven_day_estimate(  # rule P7
    capsys: pytest.CaptureFixture[str], billed_database: Path
) -> None:
    noon = "2026-03-10T12:00:00+01:00"  # half a day after the last billed day
    code, out, _ = run(
        capsys, "headend", "platform-status", "--db", str(billed_database), "--at", noon, "--json"
    )
    (row,) = json.loads(out[-1])
    assert code == 0
    # 20 EUR - 7 x (1.575 EUR + 1 EUR repaid); then half a day's 1.575 EUR estimated (P7)
    assert row == {
        "serial": "VM0000000001",
        "energy": "electricity",
        "reference": EAN[-13:],
        "balance": "1.975",
        "estimate": "1.1875",
        "supply": "connected",
        "last_day": "2026-03-09",
    }


def test_manual_index_refused_for_a_communicating_meter(  # rule R3
    capsys: pytest.CaptureFixture[str], billed_database: Path
) -> None:
    code, _, err = run(
        capsys, "headend", "declare", "VM0000000001", "--db", str(billed_database),
        "--day", "2026-03-10", "--peak", "90000", "--offpeak", "0",
    )  # fmt: skip
    assert code == 1
    assert "relevé manuel refusé" in err


def test_top_up_by_reference_books_and_tells(  # rules P6, P9
    capsys: pytest.CaptureFixture[str], billed_database: Path
) -> None:
    code, out, _ = run(
        capsys, "headend", "topup", EAN[-13:], "20.00", "--db", str(billed_database),
        "--at", "2026-03-10T12:00:00+01:00",
    )  # fmt: skip
    assert code == 0
    assert out == [
        f"top-up 20.00 EUR booked for VM0000000001 (reference {EAN[-13:]})",
        "balance 21.975 EUR",
    ]
