"""The Limiter (class 71) of a meter-mode meter with a power limiter (rules P4, B9, M2 g), and
the 94.32 objects showing the meter's own account in meter mode (rule E7)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from gurux_dlms.enums import ObjectType
from gurux_session import GuruxSession
from in_process import associate, read, write
from payment_meter import (
    CONFIG_TEXT,
    START,
    device,
    meter_mode_config,
    meter_mode_runtime,
)
from test_payment_binding import relay

from cosem.access import DEFAULT_MANAGEMENT_PASSWORD, DEFAULT_READER_PASSWORD
from cosem.apdu import DataAccessResult
from cosem.axdr import Data
from emulator import obis_map
from emulator.config import MeterConfig, RunConfig, parse_config
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.tcp_service import TcpService
from firmware.disconnect_control import ControlState
from firmware.logs import EventCode
from firmware.rules.money import Money
from firmware.screens import LIMITER

LIMITER_OBJECT = (71, obis_map.LIMITER)
HEAVY_W = 25_000  # 7.50 EUR/h at 0.30 EUR/kWh: the credit is used up by 14:40 on Monday
IMPORT_POWER = Data.structure(
    Data.long_unsigned(3), Data.octet_string(obis_map.IMPORT_POWER.to_bytes()), Data.integer(2)
)


def limiter_config(watts: int = HEAVY_W) -> MeterConfig:
    text = CONFIG_TEXT.replace("{watts}", str(watts)).replace(
        "prepayment:\n", "prepayment:\n  power_limiter: true\n  power_limit_w: 2300\n"
    )
    return parse_config(text)


def limited_runtime(state: Path | None = None) -> VirtualMeter:
    """A limiter meter run until its credit is used up (Monday 15:00, outside the NDP)."""
    runtime = VirtualMeter(limiter_config(), RunConfig(instant=True, start=START, state=state))
    clock = runtime.simulated_clock
    assert clock is not None
    clock.advance_to(START + timedelta(hours=5))
    runtime.meter.advance_to(clock.now())
    return runtime


def test_the_limiter_is_served_only_with_a_power_limiter() -> None:
    limited = meter_mode_runtime(limiter_config())
    served = {
        (obj.logical_name, obj.class_id)
        for obj in build_logical_device(limited, limiter_config()).objects
    }
    assert (obis_map.LIMITER, 71) in served
    plain = meter_mode_runtime(meter_mode_config())
    objects = build_logical_device(plain, meter_mode_config()).objects
    assert obis_map.LIMITER not in {obj.logical_name for obj in objects}


def test_the_limiter_attributes_read_as_the_class_defines() -> None:  # COSEM-FACTS 2
    runtime = meter_mode_runtime(limiter_config())
    association = associate(device(runtime), 16, None)
    assert read(association, LIMITER_OBJECT, 2) == IMPORT_POWER
    for threshold in (3, 4, 5):
        assert read(association, LIMITER_OBJECT, threshold) == Data.double_long_unsigned(2300)
    assert read(association, LIMITER_OBJECT, 6) == Data.double_long_unsigned(0)
    assert read(association, LIMITER_OBJECT, 9) == Data.array([])
    assert read(association, LIMITER_OBJECT, 10) == Data.boolean(False)
    actions = read(association, LIMITER_OBJECT, 11)
    assert isinstance(actions, Data)
    over, _under = actions.items
    assert over == Data.structure(
        Data.octet_string(obis_map.DISCONNECT_SCRIPT_TABLE.to_bytes()), Data.long_unsigned(1)
    )


def test_limited_power_shows_a_and_management_raises_the_threshold(tmp_path: Path) -> None:
    # rules P4, B9, M2 g, E8: limited (not cut); a higher threshold lets the button reclose
    runtime = limited_runtime(tmp_path)
    meter = runtime.meter
    assert meter.power_limited
    assert relay(runtime) is ControlState.READY_FOR_RECONNECTION  # 25 kW > 2.3 kW
    assert LIMITER in runtime.hal.lcd.state.symbols
    reader = associate(device(runtime), 17, DEFAULT_READER_PASSWORD)
    threshold = Data.double_long_unsigned(30_000)
    assert write(reader, LIMITER_OBJECT, 3, threshold) is DataAccessResult.READ_WRITE_DENIED
    management = associate(device(runtime), 1, DEFAULT_MANAGEMENT_PASSWORD)
    assert write(management, LIMITER_OBJECT, 3, Data.long(5)) is (DataAccessResult.TYPE_UNMATCHED)
    zero = Data.double_long_unsigned(0)
    assert write(management, LIMITER_OBJECT, 3, zero) is DataAccessResult.OTHER_REASON
    assert write(management, LIMITER_OBJECT, 3, threshold) is DataAccessResult.SUCCESS
    assert read(management, LIMITER_OBJECT, 4) == threshold
    assert [event.text for event in meter.events if event.code is EventCode.POWER_LIMIT_SET] == [
        "power limit set to 30000 W"
    ]
    runtime.hal.buttons.press("green", timedelta(seconds=5))
    assert relay(runtime) is ControlState.CONNECTED
    assert meter.net_power_w == HEAVY_W and LIMITER in runtime.hal.lcd.state.symbols
    meter.shutdown()
    restarted = VirtualMeter(
        limiter_config(), RunConfig(instant=True, start=START + timedelta(hours=5), state=tmp_path)
    )
    assert restarted.meter.power_limit_w == 30_000  # kept in NVM


def test_meter_mode_94_32_objects_show_the_account() -> None:  # rules E7, M5
    runtime = meter_mode_runtime(meter_mode_config(watts=2000))
    clock = runtime.simulated_clock
    assert clock is not None
    clock.advance_to(START + timedelta(hours=10))  # 20 kWh at 0.30: 20 - 6 = 14 EUR
    association = associate(device(runtime), 16, None)
    account = runtime.meter.account_for_release()
    assert account.balance == Money.eur(14)
    cents = account.balance.milli_cents // 1000
    assert read(association, (3, obis_map.BALANCE), 2) == Data.double_long(cents)
    assert read(association, (3, obis_map.EMERGENCY_CREDIT), 2) == Data.double_long(1500)
    stamp = read(association, (1, obis_map.BALANCE_UPDATE_TIME), 2)
    assert isinstance(stamp, Data) and stamp.value != bytes(12)
    management = associate(device(runtime), 1, DEFAULT_MANAGEMENT_PASSWORD)
    new_balance = Data.double_long(10_000)
    assert write(management, (3, obis_map.BALANCE), 2, new_balance) is (
        DataAccessResult.READ_WRITE_DENIED  # only central mode takes balance writes (M5)
    )


async def test_gurux_reads_every_limiter_attribute() -> None:  # COSEM-FACTS 2, interop
    runtime = meter_mode_runtime(limiter_config())
    device = build_logical_device(runtime, limiter_config())
    service = TcpService(device, "127.0.0.1", 0, idle_timeout_s=30)
    await service.start()
    try:

        def session_work() -> Any:
            with GuruxSession(service.port) as session:
                session.associate()
                objects = session.object_list()
                limiter = next(obj for obj in objects if obj.objectType == ObjectType.LIMITER)
                for attribute in range(2, 12):
                    session.read(limiter, attribute)
                session.release()
                return limiter

        limiter = await asyncio.wait_for(asyncio.to_thread(session_work), timeout=60)
    finally:
        await service.close()
    assert limiter.thresholdActive == 2300 and limiter.thresholdEmergency == 2300
    assert limiter.monitoredValue.logicalName == "1.0.1.7.0.255"
    assert limiter.monitoredAttributeIndex == 2
    assert limiter.emergencyProfileActive is False
    assert limiter.actionOverThreshold.logicalName == "0.0.10.0.106.255"
    assert limiter.actionOverThreshold.scriptSelector == 1
