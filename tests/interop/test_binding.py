"""emulator.cosem_binding: the OBIS map is what is served, and objects act on the firmware."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import in_process
import pytest
from served_tcp import START

from cosem.access import DEFAULT_MANAGEMENT_PASSWORD, DEFAULT_READER_PASSWORD
from cosem.apdu import (
    ActionResult,
    AttributeDescriptor,
    DataAccessResult,
    SetRequestNormal,
    SetRequestWithList,
    SetResponseNormal,
    SetResponseWithList,
    parse_apdu,
)
from cosem.apdu.descriptors import AttributeWithSelection
from cosem.axdr import Data
from cosem.datetime_codec import CosemDateTime
from cosem.obis import Obis
from cosem.server import ServerAssociation
from emulator import obis_map
from emulator.config import MeterConfig, RunConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from firmware.central_balance import BalanceUpdate
from firmware.disconnect_control import ControlState
from firmware.logs import EventCode
from firmware.rules.localtime import BRUSSELS
from firmware.rules.money import Money
from firmware.settings import MeterSettings, PrepaymentMode

README = Path(__file__).parents[2] / "README.md"
RELAY = (70, obis_map.DISCONNECT_CONTROL)


def meter() -> VirtualMeter:
    return VirtualMeter(MeterConfig(), RunConfig(instant=True, start=START))


def management(runtime: VirtualMeter, config: MeterConfig | None = None) -> ServerAssociation:
    return associate(runtime, 1, DEFAULT_MANAGEMENT_PASSWORD, config)


def associate(
    runtime: VirtualMeter, client: int, password: bytes | None, config: MeterConfig | None = None
) -> ServerAssociation:
    return in_process.associate(
        build_logical_device(runtime, config or MeterConfig()), client, password
    )


def get(association: ServerAssociation, class_id: int, obis: Obis, attr: int) -> object:
    return in_process.read(association, (class_id, obis), attr)


def act(association: ServerAssociation, method: int) -> ActionResult:
    return in_process.act(association, RELAY, method, Data.integer(0))


def set_mode(association: ServerAssociation, mode: int) -> DataAccessResult:
    return in_process.write(association, RELAY, 4, Data.enum(mode))


def test_the_obis_map_is_exactly_what_is_served() -> None:
    device = build_logical_device(meter(), MeterConfig())
    served = {(obj.logical_name, obj.class_id) for obj in device.objects}
    served.add((obis_map.CURRENT_ASSOCIATION, 15))  # one per association
    assert served == {(entry.obis, entry.class_id) for entry in obis_map.OBIS_MAP}


def test_the_readme_holds_the_obis_table() -> None:
    assert obis_map.markdown() in README.read_text()


def test_relay_follows_the_firmware_control_mode_table() -> None:
    # rule M1: control mode 3 -> remote disconnect, remote reconnect only arms (d)
    runtime = meter()
    association = management(runtime)

    def state() -> ControlState:
        return runtime.meter.relay.control_state

    assert act(association, 2) is ActionResult.TEMPORARY_FAILURE  # connected: nothing to do
    assert act(association, 1) is ActionResult.SUCCESS
    assert state() is ControlState.DISCONNECTED
    assert act(association, 2) is ActionResult.SUCCESS
    assert state() is ControlState.READY_FOR_RECONNECTION
    assert set_mode(association, 7) is DataAccessResult.OTHER_REASON  # firmware has 0..6
    assert set_mode(association, 4) is DataAccessResult.SUCCESS
    assert get(association, 70, obis_map.DISCONNECT_CONTROL, 4) == Data.enum(4)


def test_clock_set_moves_the_firmware_clock_and_logs_it() -> None:
    runtime = meter()
    association = management(runtime)
    target = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    stamp = CosemDateTime.from_datetime(target.astimezone(BRUSSELS))
    request = SetRequestNormal(
        AttributeDescriptor(8, obis_map.CLOCK, 2), Data.octet_string(stamp.to_bytes())
    )
    response = parse_apdu(association.handle(request.to_bytes()) or b"")
    assert response == SetResponseNormal(DataAccessResult.SUCCESS)
    assert runtime.clock.now() == target
    assert runtime.meter.events.entries()[-1].code is EventCode.CLOCK_SET


def test_profiles_come_from_the_firmware_buffers() -> None:
    runtime = meter()
    clock = runtime.simulated_clock
    assert clock is not None
    end = START + timedelta(days=1, hours=1)
    clock.advance_to(end)
    runtime.meter.advance_to(end)
    association = management(runtime)
    assert get(association, 7, obis_map.LOAD_PROFILE, 7) == Data.double_long_unsigned(100)
    assert get(association, 7, obis_map.DAILY_PROFILE, 7) == Data.double_long_unsigned(1)
    assert get(association, 3, obis_map.IMPORT_POWER, 2) == Data.double_long_unsigned(500)


# -- central prepayment: 0-0:94.32.1/2/3 (rules E7, P7, M5) ---------------------------------

UPDATE_AT = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # 06:00 in Brussels


def put(association: ServerAssociation, class_id: int, obis: Obis, value: Data) -> object:
    return in_process.write(association, (class_id, obis), 2, value)


def stamp(moment: datetime) -> Data:
    return Data.octet_string(CosemDateTime.from_datetime(moment.astimezone(BRUSSELS)).to_bytes())


def test_balance_items_before_the_first_update() -> None:  # rule E7
    association = management(meter())
    update_time = get(association, 1, obis_map.BALANCE_UPDATE_TIME, 2)
    assert isinstance(update_time, Data) and isinstance(update_time.value, bytes)
    unspecified = CosemDateTime.from_bytes(update_time.value)
    assert unspecified.year is None and unspecified.deviation is None
    for obis in (obis_map.BALANCE, obis_map.EMERGENCY_CREDIT):
        assert get(association, 3, obis, 2) == Data.double_long(0)
        assert get(association, 3, obis, 3) == Data.structure(Data.integer(-2), Data.enum(10))


def test_a_management_set_of_the_balance_is_the_daily_update() -> None:  # rules P7, E7
    runtime = meter()
    association = management(runtime)
    assert put(association, 3, obis_map.BALANCE, Data.double_long(-345)) is DataAccessResult.SUCCESS
    assert runtime.meter.central_balance == BalanceUpdate(START, Money.parse("-3.45"), Money(0))
    assert get(association, 3, obis_map.BALANCE, 2) == Data.double_long(-345)
    assert get(association, 1, obis_map.BALANCE_UPDATE_TIME, 2) == stamp(START)
    assert runtime.meter.events.entries()[-1].code is EventCode.BALANCE_UPDATE


def test_a_set_with_list_of_the_three_items() -> None:  # rules P7, E7
    runtime = meter()
    association = management(runtime)
    items = [
        (obis_map.BALANCE, 3, Data.double_long(1205)),
        (obis_map.EMERGENCY_CREDIT, 3, Data.double_long(1500)),
        (obis_map.BALANCE_UPDATE_TIME, 1, stamp(UPDATE_AT)),  # last: it stamps the update
    ]
    request = SetRequestWithList(
        tuple(AttributeWithSelection(AttributeDescriptor(c, o, 2)) for o, c, _ in items),
        tuple(value for _, _, value in items),
    )
    response = parse_apdu(association.handle(request.to_bytes()) or b"")
    assert response == SetResponseWithList((DataAccessResult.SUCCESS,) * 3)
    assert runtime.meter.central_balance == BalanceUpdate(
        UPDATE_AT, Money.eur(12, 5), Money.eur(15)
    )


@pytest.mark.parametrize(("client", "password"), [(16, None), (17, DEFAULT_READER_PASSWORD)])
def test_public_and_reader_writes_are_refused_and_change_nothing(
    client: int, password: bytes | None
) -> None:  # rule E7: writable by the management client only
    runtime = meter()
    association = associate(runtime, client, password)
    writes = [
        (3, obis_map.BALANCE, Data.double_long(100_000)),
        (3, obis_map.EMERGENCY_CREDIT, Data.double_long(1500)),
        (1, obis_map.BALANCE_UPDATE_TIME, stamp(UPDATE_AT)),
    ]
    for class_id, obis, value in writes:
        assert put(association, class_id, obis, value) is DataAccessResult.READ_WRITE_DENIED
    assert runtime.meter.central_balance is None
    assert get(association, 3, obis_map.BALANCE, 2) == Data.double_long(0)  # readable by all


def test_without_central_mode_nobody_may_write_the_balance() -> None:  # rule M5
    for mode in (PrepaymentMode.NONE, PrepaymentMode.METER):
        config = MeterConfig(meter=MeterSettings(prepayment=mode))
        runtime = VirtualMeter(config, RunConfig(instant=True, start=START))
        association = management(runtime, config)
        result = put(association, 3, obis_map.BALANCE, Data.double_long(100))
        assert result is DataAccessResult.READ_WRITE_DENIED
        assert runtime.meter.central_balance is None


@pytest.mark.parametrize(
    ("class_id", "obis", "value", "result"),
    [
        (3, obis_map.BALANCE, Data.double_long_unsigned(5), DataAccessResult.TYPE_UNMATCHED),
        (3, obis_map.EMERGENCY_CREDIT, Data.double_long(-1), DataAccessResult.OTHER_REASON),
        (1, obis_map.BALANCE_UPDATE_TIME, Data.octet_string(b"x"), DataAccessResult.TYPE_UNMATCHED),
    ],
)
def test_bad_balance_writes_are_refused_and_change_nothing(
    class_id: int, obis: Obis, value: Data, result: DataAccessResult
) -> None:
    runtime = meter()
    association = management(runtime)
    assert put(association, class_id, obis, value) is result
    assert runtime.meter.central_balance is None
