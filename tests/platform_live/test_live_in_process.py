"""The live platform's passes against meters in-process (loopback.py): the 15-minute profile
only with consent (R1), the consumption alert (R2), a meter-mode meter left alone (M5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from live_rig import START, central_config
from loopback import management_session

from cosem.server import LogicalDevice
from emulator.config import MeterConfig, RunConfig, parse_config
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from firmware.rules.credit import ean_check_digit
from hal.clock import SimulatedClock
from hal.frontend import ConstantLoad, PowerReading
from headend.platform.decisions import NoticeKind
from headend.platform.ledger import Ledger
from headend.platform.live import Enrolment, LivePlatform
from headend.platform.service import Platform
from headend.session import Session

pytestmark = pytest.mark.timeout(60)

TUESDAY_0010 = datetime(2026, 3, 2, 23, 10, tzinfo=UTC)
WEDNESDAY_0010 = datetime(2026, 3, 3, 23, 10, tzinfo=UTC)
THURSDAY_0010 = datetime(2026, 3, 4, 23, 10, tzinfo=UTC)


def ean(number: int) -> str:
    first_17 = f"54144{number:012d}"
    return first_17 + ean_check_digit(first_17)


class Meters:
    """Meters by serial, each on its own instant clock, moved together."""

    def __init__(self, *configs: MeterConfig) -> None:
        self.runtimes: dict[str, VirtualMeter] = {}
        self.devices: dict[str, LogicalDevice] = {}
        for config in configs:
            runtime = VirtualMeter(config, RunConfig(instant=True, start=START))
            serial = config.meter.identity.serial_number
            self.runtimes[serial] = runtime
            self.devices[serial] = build_logical_device(runtime, config)

    async def open_session(self, serial: str) -> Session:
        return management_session(self.devices[serial])

    async def run(self, until: datetime) -> None:
        for runtime in self.runtimes.values():
            await runtime.run(until=until)


def platform_over(meters: Meters, db: Path, enrolment: Enrolment) -> LivePlatform:
    first = next(iter(meters.runtimes.values()))

    async def no_broker(topic: str, payload: bytes) -> None:
        pass

    return LivePlatform(
        Platform(Ledger(db)), first.clock, meters.open_session, no_broker, enrolment, report=print
    )


async def test_quarter_hours_collected_only_with_consent(tmp_path: Path) -> None:  # rule R1
    meters = Meters(
        central_config(6000, "VM0000000001", ean(1)), central_config(6000, "VM0000000002", ean(2))
    )
    live = platform_over(
        meters, tmp_path / "p.sqlite", Enrolment(consent=frozenset({"VM0000000001"}))
    )
    for serial in meters.devices:
        await live.enrol(serial)
    await meters.run(TUESDAY_0010)
    await live.step()
    ledger = live.platform.ledger
    consented = ledger.profile("VM0000000001")
    # Monday 10:30 to midnight: the meter's first entry (10:15) starts the first quarter
    assert len(consented) == 55
    assert {wh for _, wh in consented} == {1500}  # 6 kW for 15 minutes
    assert ledger.profile("VM0000000002") == []
    assert ledger.last_indexes("VM0000000002") is not None  # its indexes, though


async def test_consumption_alert_above_the_average(tmp_path: Path) -> None:  # rule R2
    meters = Meters(central_config(1000))
    live = platform_over(meters, tmp_path / "p.sqlite", Enrolment(alert_percent=20))
    (serial,) = meters.devices
    await live.enrol(serial)
    for midnight in (TUESDAY_0010, WEDNESDAY_0010):
        await meters.run(midnight)
        await live.step()
    runtime = meters.runtimes[serial]
    runtime.hal.frontend.set_load(ConstantLoad(PowerReading(import_w=(500, 500, 500))))
    runtime.meter.refresh_load()
    await meters.run(THURSDAY_0010)
    await live.step()
    # Wednesday: 10 minutes at 1 kW, then 1.5 kW: 35916 Wh against 24000 Wh the day before
    alerts = [
        m
        for m in live.platform.ledger.notices(serial)
        if m.kind == NoticeKind.CONSUMPTION_ALERT.value
    ]
    assert [m.text for m in alerts] == [
        "Dépassement de consommation de plus de 20 % : 35916 Wh hier"
        " pour une moyenne de 24000 Wh par jour."
    ]


async def test_a_meter_mode_meter_is_not_enrolled(tmp_path: Path) -> None:  # rule M5
    meters = Meters(parse_config("prepayment:\n  mode: meter\n"))
    live = platform_over(meters, tmp_path / "p.sqlite", Enrolment())
    (serial,) = meters.devices
    await live.enrol(serial)
    assert live.platform.ledger.serials() == []


async def test_a_meter_behind_the_platform_is_asked_again(tmp_path: Path) -> None:  # rule E3
    # Two processes, two clocks: the platform's midnight may come before the meter's.
    meters = Meters(central_config(1000))
    (serial,) = meters.devices
    platform_clock = SimulatedClock(START)
    live = platform_over(meters, tmp_path / "p.sqlite", Enrolment())
    live.clock = platform_clock
    await live.enrol(serial)
    opening = live.platform.ledger.last_indexes(serial)  # the registers read at enrolment
    await meters.run(TUESDAY_0010 - timedelta(minutes=15))  # the meter: 23:55
    platform_clock.advance_to(TUESDAY_0010)
    await live.step()
    assert live.platform.ledger.last_indexes(serial) == opening  # nothing collected yet
    await meters.run(TUESDAY_0010)
    platform_clock.advance_to(TUESDAY_0010 + timedelta(minutes=1))
    await live.step()
    last = live.platform.ledger.last_indexes(serial)
    assert last is not None and last.day == date(2026, 3, 2)
