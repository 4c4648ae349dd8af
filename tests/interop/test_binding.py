"""emulator.cosem_binding: the OBIS map is what is served, and objects act on the firmware."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from served_tcp import START

from cosem.access import DEFAULT_MANAGEMENT_PASSWORD
from cosem.apdu import (
    AARE,
    AARQ,
    AcseResult,
    ActionRequestNormal,
    ActionResponseNormal,
    ActionResult,
    AttributeDescriptor,
    AuthenticationMechanism,
    Conformance,
    DataAccessResult,
    GetRequestNormal,
    GetResponseNormal,
    InitiateRequest,
    MethodDescriptor,
    SetRequestNormal,
    SetResponseNormal,
    parse_apdu,
)
from cosem.axdr import Data
from cosem.datetime_codec import CosemDateTime
from cosem.obis import Obis
from cosem.server import ServerAssociation
from emulator import obis_map
from emulator.config import MeterConfig, RunConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from firmware.disconnect_control import ControlState
from firmware.logs import EventCode
from firmware.rules.localtime import BRUSSELS

README = Path(__file__).parents[2] / "README.md"
ALL = Conformance.GET | Conformance.SET | Conformance.ACTION | Conformance.SELECTIVE_ACCESS


def meter() -> VirtualMeter:
    return VirtualMeter(MeterConfig(), RunConfig(instant=True, start=START))


def management(runtime: VirtualMeter) -> ServerAssociation:
    association = build_logical_device(runtime, MeterConfig()).association(1)
    aarq = AARQ(
        InitiateRequest(ALL, 0xFFFF),
        mechanism=AuthenticationMechanism.LLS,
        authentication_value=DEFAULT_MANAGEMENT_PASSWORD,
    )
    aare = parse_apdu(association.handle(aarq.to_bytes()) or b"")
    assert isinstance(aare, AARE) and aare.result is AcseResult.ACCEPTED
    return association


def get(association: ServerAssociation, class_id: int, obis: Obis, attr: int) -> object:
    request = GetRequestNormal(AttributeDescriptor(class_id, obis, attr))
    response = parse_apdu(association.handle(request.to_bytes()) or b"")
    assert isinstance(response, GetResponseNormal)
    return response.result


def act(association: ServerAssociation, method: int) -> ActionResult:
    request = ActionRequestNormal(
        MethodDescriptor(70, obis_map.DISCONNECT_CONTROL, method), Data.integer(0)
    )
    response = parse_apdu(association.handle(request.to_bytes()) or b"")
    assert isinstance(response, ActionResponseNormal)
    return response.result


def set_mode(association: ServerAssociation, mode: int) -> DataAccessResult:
    request = SetRequestNormal(
        AttributeDescriptor(70, obis_map.DISCONNECT_CONTROL, 4), Data.enum(mode)
    )
    response = parse_apdu(association.handle(request.to_bytes()) or b"")
    assert isinstance(response, SetResponseNormal)
    return response.result


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
