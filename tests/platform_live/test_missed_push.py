"""A day's balance push the meter missed is pushed again on the platform's next passes until it
reaches the meter (rule E7: the balance is pushed once a day, so a lost push must not wait a
day). The meter is in-process (headend.loopback); its link loses every SET while ``cut``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from live_rig import START, central_config
from loopback import MANAGEMENT, MANAGEMENT_PASSWORD

from emulator.config import RunConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from firmware.rules.money import Money
from headend.loopback import LoopbackTransport
from headend.platform.billing import DailyIndexes
from headend.platform.duties import Collect, PushBalance, due_duties
from headend.platform.ledger import Ledger
from headend.platform.live import DEFAULT_PRICES, RETRY, Enrolment, LivePlatform
from headend.platform.service import Platform
from headend.session import ApduTransport, Session

pytestmark = pytest.mark.timeout(60)

TUESDAY_0010 = datetime(2026, 3, 2, 23, 10, tzinfo=UTC)  # local 00:10, Monday closed
SET_REQUEST = 0xC1


@dataclass
class Link:
    """Whether the SETs of the balance push get through (the meter out of reach at that
    moment while the reads before it got through)."""

    cut: bool = False


class SetsLost(ApduTransport):
    """The loopback to the meter, except that a SET request sent while the link is cut never
    arrives: the head-end hears nothing back (``NoAnswer``)."""

    def __init__(self, loopback: LoopbackTransport, link: Link) -> None:
        self._loopback = loopback
        self._link = link

    async def send(self, apdu: bytes) -> None:
        if not (self._link.cut and apdu[0] == SET_REQUEST):
            await self._loopback.send(apdu)

    async def receive(self, timeout_s: float) -> bytes:
        return await self._loopback.receive(timeout_s)

    async def close(self) -> None:
        await self._loopback.close()


async def test_a_missed_push_is_pushed_again_until_it_reaches_the_meter(
    tmp_path: Path,
) -> None:  # rule E7
    config = central_config(6000)
    runtime = VirtualMeter(config, RunConfig(instant=True, start=START))
    device = build_logical_device(runtime, config)
    serial = config.meter.identity.serial_number
    link = Link()

    async def open_session(_: str) -> Session:
        loopback = LoopbackTransport(device.association(MANAGEMENT))
        return Session(SetsLost(loopback, link), password=MANAGEMENT_PASSWORD)

    async def no_broker(topic: str, payload: bytes) -> None:
        pass

    lines: list[str] = []
    live = LivePlatform(
        Platform(Ledger(tmp_path / "p.sqlite")),
        runtime.clock,
        open_session,
        no_broker,
        Enrolment(),
        report=lines.append,
    )
    await live.enrol(serial)
    await runtime.run(until=TUESDAY_0010)
    link.cut = True
    await live.step()  # collected, but the push is lost
    last = live.platform.ledger.last_indexes(serial)
    assert last is not None and last.day == date(2026, 3, 2)
    assert runtime.meter.prepayment_balance is None
    assert "did not answer" in lines[-1]

    await runtime.run(until=TUESDAY_0010 + RETRY)
    await live.step()  # still cut: owed again
    assert runtime.meter.prepayment_balance is None

    link.cut = False
    await runtime.run(until=TUESDAY_0010 + 2 * RETRY)
    await live.step()
    shown = runtime.meter.prepayment_balance
    balance = live.platform.ledger.balance(serial)
    assert shown is not None and shown.balance == Money(balance // 1000 * 1000)
    assert shown.at == TUESDAY_0010 + 2 * RETRY
    assert lines[-1].endswith("pushed (missed before)")

    pushed = len(lines)
    await runtime.run(until=TUESDAY_0010 + 3 * RETRY)
    await live.step()  # reached: nothing more until the next day's collection
    assert len(lines) == pushed
    live.platform.ledger.close()


def test_an_owed_push_is_due_unless_a_collection_pushes_anyway(tmp_path: Path) -> None:  # E7
    platform = Platform(Ledger(tmp_path / "p.sqlite"))
    monday = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    platform.register_meter("VM0000000001", "541448860000000011", DEFAULT_PRICES, monday)
    owed = {"VM0000000001"}
    # Before Monday is collected, the collection pushes the balance
    assert due_duties(platform.ledger, TUESDAY_0010, {}, {}, owed) == [
        Collect("VM0000000001", date(2026, 3, 2), False)
    ]
    platform.receive_daily_indexes(
        "VM0000000001", DailyIndexes(date(2026, 3, 2), 0, 0), TUESDAY_0010
    )
    assert due_duties(platform.ledger, TUESDAY_0010, {}, {}, owed) == [PushBalance("VM0000000001")]
    waiting = {"VM0000000001": TUESDAY_0010 + timedelta(minutes=1)}
    assert due_duties(platform.ledger, TUESDAY_0010, {}, waiting, owed) == []
    assert due_duties(platform.ledger, TUESDAY_0010, {}, {}, set()) == []
    platform.ledger.close()
