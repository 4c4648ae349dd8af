"""No energy unbilled (rules M6, P7, E3): the live platform reads a meter's registers when it
enrols it and bills the first collected day from that reading, the evening of an enrolment at
22:00 as much as a day whose collection failed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from live_rig import central_config, run_cli
from loopback import management_session

from emulator.config import RunConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from headend.platform.billing import DailyIndexes, Prices, Remainders
from headend.platform.ledger import Ledger
from headend.platform.live import Enrolment, LivePlatform
from headend.platform.service import Platform
from headend.session import NoAnswer, Session

pytestmark = pytest.mark.timeout(60)

SERIAL = "VM0000000042"
WATTS = 1234  # Wh that are no whole number of milli-cents: the remainders carry (M6)
PRICES = Prices(peak=15_750, offpeak=7_460)  # milli-cents per kWh
INSTALLED = datetime(2026, 3, 4, 11, 0, tzinfo=UTC)  # Wednesday 12:00 Brussels
ENROLLED = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)  # Wednesday 22:00, the off-peak hours
THURSDAY_0005 = datetime(2026, 3, 4, 23, 5, tzinfo=UTC)
FRIDAY_0005 = datetime(2026, 3, 5, 23, 5, tzinfo=UTC)
STARTING_CREDIT, DAILY_REPAYMENT = 2_000_000, 100_000  # P1


class Rig:
    """One central-mode meter installed at noon, drawing WATTS, and the live platform on its
    clock; ``offline`` makes every session the platform opens fail (no answer)."""

    def __init__(self, db: Path) -> None:
        config = central_config(WATTS, SERIAL)
        self.meter = VirtualMeter(config, RunConfig(instant=True, start=INSTALLED))
        self.device = build_logical_device(self.meter, config)
        self.offline = False
        self.said: list[str] = []
        self.live = LivePlatform(
            Platform(Ledger(db)), self.meter.clock, self.open_session, self.publish,
            Enrolment(prices=PRICES), report=self.said.append,
        )  # fmt: skip

    async def open_session(self, serial: str) -> Session:
        if self.offline:
            raise NoAnswer(f"{serial}: no answer")
        return management_session(self.device)

    async def publish(self, topic: str, payload: bytes) -> None:
        pass

    async def at(self, moment: datetime) -> None:
        """The meter runs to ``moment``, then the platform makes one pass."""
        await self.meter.run(until=moment)
        await self.live.step()


async def test_the_evening_of_an_enrolment_at_22_00_is_billed(tmp_path: Path) -> None:
    # rule M6: charge = Wh x price, the sub-milli-cent remainder carried; E3 from enrolment on
    rig = Rig(tmp_path / "p.sqlite")
    await rig.meter.run(until=ENROLLED)
    await rig.live.enrol(SERIAL)
    ledger = rig.live.platform.ledger
    # The registers then: 10 h peak since noon, no off-peak yet; dated the day before (Tuesday)
    assert ledger.last_indexes(SERIAL) == DailyIndexes(date(2026, 3, 3), 10 * WATTS, 0)
    await rig.live.step()  # Wednesday 22:00: no snapshot of Tuesday asked for
    assert not any("no daily snapshot" in line for line in rig.said)
    db, at = str(tmp_path / "p.sqlite"), ENROLLED.isoformat()
    code, printed = run_cli("headend", "platform-status", "--db", db, "--at", at, "--json")
    assert code == 0 and json.loads(printed[0])[0]["last_day"] is None  # no day collected yet

    await rig.at(THURSDAY_0005)
    last = ledger.last_indexes(SERIAL)
    assert last == DailyIndexes(date(2026, 3, 4), 10 * WATTS, 2 * WATTS)
    # 2468 Wh off-peak x 7.46 mc/Wh = 18_411.28 mc: 18_411 charged, 0.28 mc (280) carried
    assert ledger.balance(SERIAL) == STARTING_CREDIT - 18_411 - DAILY_REPAYMENT
    assert ledger.remainders(SERIAL) == Remainders(peak=0, offpeak=280)
    assert not any("no daily snapshot" in line for line in rig.said)


async def test_a_first_collection_failing_for_a_day_bills_both_days_after(
    tmp_path: Path,
) -> None:
    # rules M6, P1: the day after a failed first collection, the days since enrolment are billed
    rig = Rig(tmp_path / "p.sqlite")
    await rig.meter.run(until=ENROLLED)
    await rig.live.enrol(SERIAL)
    ledger = rig.live.platform.ledger
    rig.offline = True
    await rig.at(THURSDAY_0005)
    await rig.at(THURSDAY_0005 + timedelta(hours=12))
    assert ledger.balance(SERIAL) == STARTING_CREDIT  # nothing collected yet

    rig.offline = False
    await rig.at(FRIDAY_0005)  # Thursday's snapshot, billed from Wednesday 22:00
    last = ledger.last_indexes(SERIAL)
    assert last is not None and last.day == date(2026, 3, 5)
    # Wednesday 22:00-24:00 and Thursday 22:00-07:00 off-peak: 11 h; Thursday 07:00-22:00 peak
    peak_wh, offpeak_wh = 15 * WATTS, 11 * WATTS
    assert (last.peak_wh - 10 * WATTS, last.offpeak_wh) == (peak_wh, offpeak_wh)
    peak_charge = peak_wh * PRICES.peak // 1000  # 18_510 Wh x 15.75 = 291_532.5 mc
    offpeak_charge = offpeak_wh * PRICES.offpeak // 1000  # 13_574 Wh x 7.46 = 101_262.04 mc
    two_days_repaid = 2 * DAILY_REPAYMENT
    assert ledger.balance(SERIAL) == (
        STARTING_CREDIT - peak_charge - offpeak_charge - two_days_repaid
    )
    assert ledger.remainders(SERIAL) == Remainders(peak=500, offpeak=40)
