"""Interface classes read through the server: what each attribute holds on the wire."""

from __future__ import annotations

from datetime import UTC, datetime

from test_server import (
    ASSOCIATION,
    CLOCK,
    IMPORT_PEAK,
    LOAD_PROFILE,
    Session,
    World,
    build_device,
    public_session,
)

from cosem.access import default_clients
from cosem.apdu import (
    AcseResult,
    AttributeDescriptor,
    Conformance,
    DataAccessResult,
    ExceptionResponse,
    GetRequestNormal,
    SelectiveAccess,
    ServiceError,
    StateError,
)
from cosem.axdr import BitString, Data
from cosem.classes.association_ln import object_list_entry
from cosem.classes.register import Unit, extended_register, register
from cosem.classes.sap_assignment import sap_assignment
from cosem.datetime_codec import CosemDateTime
from cosem.obis import Obis
from cosem.server import LogicalDevice


def test_clock_shows_brussels_time_zone_and_dst_status() -> None:
    winter = World(now=datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    session = public_session(winter)
    raw = session.get(8, CLOCK, 2)
    assert isinstance(raw, Data) and isinstance(raw.value, bytes)
    stamp = CosemDateTime.from_bytes(raw.value)
    assert (stamp.hour, stamp.deviation, stamp.clock_status) == (13, -60, 0)  # CET, UTC+1
    assert session.get(8, CLOCK, 3) == Data.long(-60)
    assert session.get(8, CLOCK, 4) == Data.unsigned(0)
    winter.now = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)
    raw = session.get(8, CLOCK, 2)
    assert isinstance(raw, Data) and isinstance(raw.value, bytes)
    stamp = CosemDateTime.from_bytes(raw.value)
    assert (stamp.hour, stamp.deviation, stamp.clock_status) == (14, -120, 0x80)  # CEST
    assert session.get(8, CLOCK, 3) == Data.long(-60)  # standard time zone stays UTC+1
    # DST begins the last Sunday of March at 02:00 (0xFE = last day of month, 7 = Sunday)
    begin = session.get(8, CLOCK, 5)
    assert begin == Data.octet_string(bytes.fromhex("ffff03fe0702000000800 0ff".replace(" ", "")))


def test_register_value_out_of_range_is_refused_not_crashed() -> None:
    world = World(energy_wh=2**32)  # does not fit double-long-unsigned
    session = public_session(world)
    assert session.get(3, IMPORT_PEAK, 2) is DataAccessResult.OTHER_REASON


def test_extended_register_has_status_and_capture_time() -> None:
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    net = Obis.parse("16.7.0")
    obj = extended_register(net, lambda: -250, 0, Unit.WATT, lambda: moment)
    session = Session(LogicalDevice([obj], default_clients()))
    assert session.associate().result is AcseResult.ACCEPTED
    assert session.get(4, net, 2) == Data.double_long(-250)
    assert session.get(4, net, 3) == Data.structure(Data.integer(0), Data.enum(27))
    assert session.get(4, net, 4) == Data.null()
    stamp = session.get(4, net, 5)
    assert isinstance(stamp, Data) and isinstance(stamp.value, bytes)
    assert CosemDateTime.from_bytes(stamp.value).to_datetime() == moment


def test_association_ln_describes_the_association() -> None:
    session = public_session(max_pdu=512)
    assert session.get(15, ASSOCIATION, 3) == Data.structure(
        Data.integer(16), Data.long_unsigned(1)
    )
    context_name = bytes.fromhex("60857405080101")  # 2.16.756.5.8.1.1 LN, no ciphering
    assert session.get(15, ASSOCIATION, 4) == Data.octet_string(context_name)
    info = session.get(15, ASSOCIATION, 5)
    assert isinstance(info, Data)
    conformance, server_max, client_max, version = (item.value for item in info.items[:4])
    assert isinstance(conformance, BitString)
    assert Conformance.from_wire(conformance.data) & Conformance.GET
    assert (server_max, client_max, version) == (1024, 512, 6)
    assert session.get(15, ASSOCIATION, 6) == Data.octet_string(bytes.fromhex("60857405080200"))
    assert session.get(15, ASSOCIATION, 8) == Data.enum(2)  # associated


def test_object_list_entry_shows_selectors_of_the_profile_buffer() -> None:
    device = build_device(World())
    profile = device.by_name[LOAD_PROFILE.to_bytes()]
    entry = object_list_entry(profile, default_clients()[16].role)
    buffer_rights = entry.items[3].items[0].items[1]
    assert buffer_rights.items[2] == Data.array((Data.integer(1), Data.integer(2)))


def test_profile_entry_selection_out_of_range_is_refused() -> None:
    session = public_session()
    beyond = SelectiveAccess(
        2,
        Data.structure(
            Data.double_long_unsigned(0),  # entries are 1-based
            Data.double_long_unsigned(0),
            Data.long_unsigned(1),
            Data.long_unsigned(0),
        ),
    )
    assert session.get(7, LOAD_PROFILE, 2, beyond) is DataAccessResult.OTHER_REASON
    wrong_shape = SelectiveAccess(2, Data.long_unsigned(3))
    assert session.get(7, LOAD_PROFILE, 2, wrong_shape) is DataAccessResult.TYPE_UNMATCHED
    unknown_selector = SelectiveAccess(3, Data.null())
    assert session.get(7, LOAD_PROFILE, 2, unknown_selector) is DataAccessResult.OTHER_REASON


def test_profile_range_without_deviation_is_local_time() -> None:
    session = public_session()
    local = CosemDateTime(2026, 3, 1, None, 2, 0, 0, 0, None, None)  # 02:00 CET = 01:00 UTC
    clock_column = Data.structure(
        Data.long_unsigned(8),
        Data.octet_string(CLOCK.to_bytes()),
        Data.integer(2),
        Data.long_unsigned(0),
    )
    bound = Data.octet_string(local.to_bytes())
    rows = session.get(
        7,
        LOAD_PROFILE,
        2,
        SelectiveAccess(1, Data.structure(clock_column, bound, bound, Data.array(()))),
    )
    assert isinstance(rows, Data) and len(rows.items) == 1
    assert rows.items[0].items[1] == Data.double_long_unsigned(1004)


def test_long_answer_without_block_transfer_is_pdu_too_long() -> None:
    session = public_session(max_pdu=128, conformance=Conformance.GET)
    response = session.send(GetRequestNormal(AttributeDescriptor(7, LOAD_PROFILE, 2)).to_bytes())
    assert response == ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, ServiceError.PDU_TOO_LONG)


def test_sap_assignment_lists_the_logical_device() -> None:
    obj = sap_assignment({1: b"VMT0000000000001"})
    session = Session(
        LogicalDevice([obj, register(IMPORT_PEAK, lambda: 1, 0, Unit.WATT_HOUR)], default_clients())
    )
    session.associate()
    assert session.get(17, Obis.parse("0-0:41.0.0.255"), 2) == Data.array(
        (Data.structure(Data.long_unsigned(1), Data.octet_string(b"VMT0000000000001")),)
    )


def test_duplicate_logical_names_are_a_configuration_error() -> None:
    twice = [register(IMPORT_PEAK, lambda: 1, 0, Unit.WATT_HOUR)] * 2
    try:
        LogicalDevice(twice, default_clients())
    except ValueError as error:
        assert "1-0:1.8.1.255" in str(error)
    else:
        raise AssertionError("duplicate accepted")
