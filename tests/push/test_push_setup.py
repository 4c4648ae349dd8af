"""The event Push setup (class 40) as a client sees it in the meter's logical device, the
DATA-NOTIFICATION it sends, and the event-code table shared with the firmware's event log."""

from __future__ import annotations

from datetime import UTC, datetime

import in_process
from hypothesis import given, settings
from hypothesis import strategies as st
from served_tcp import START

from cosem.access import DEFAULT_MANAGEMENT_PASSWORD
from cosem.apdu import ActionResult, DataAccessResult
from cosem.apdu.notification import parse_data_notification
from cosem.axdr import Data
from cosem.classes.push_setup import invoke_id_of, push_notification, pushed_values
from cosem.datetime_codec import CosemDateTime
from cosem.errors import DecodeError
from cosem.server import ServerAssociation
from emulator import obis_map
from emulator.config import MeterConfig, RunConfig
from emulator.cosem_binding import build_logical_device
from emulator.push_binding import NOTICE_CODES, PushQueue, meter_pushes
from emulator.runtime import VirtualMeter
from firmware.logs import EventCode
from firmware.meter import NOTICE_EVENTS
from headend.push_codes import PushEventCode
from headend.push_events import EVENT_PUSH_OBJECTS, parse_push

PUSH_SETUP = (40, obis_map.EVENT_PUSH_SETUP)
PUBLIC, MANAGEMENT = 16, 1


def meter() -> VirtualMeter:
    return VirtualMeter(MeterConfig(), RunConfig(instant=True, start=START))


def associate(runtime: VirtualMeter, client: int) -> ServerAssociation:
    password = DEFAULT_MANAGEMENT_PASSWORD if client == MANAGEMENT else None
    return in_process.associate(build_logical_device(runtime, MeterConfig()), client, password)


def test_a_client_reads_the_push_setup_and_its_object_list() -> None:
    association = associate(meter(), PUBLIC)
    listed = in_process.read(association, PUSH_SETUP, 2)
    assert listed == Data.array(entry.to_data() for entry in EVENT_PUSH_OBJECTS)
    assert in_process.read(association, PUSH_SETUP, 3) == Data.structure(
        Data.enum(0), Data.octet_string(b"vmeter/VM0000000001/push"), Data.enum(0)
    )
    assert in_process.read(association, PUSH_SETUP, 4) == Data.array([])
    assert in_process.read(association, PUSH_SETUP, 6) == Data.unsigned(0)


def test_management_writes_the_push_settings() -> None:
    association = associate(meter(), MANAGEMENT)
    window = Data.array(
        [
            Data.structure(
                Data.octet_string(CosemDateTime.from_datetime(START).to_bytes()),
                Data.octet_string(CosemDateTime.from_datetime(START).to_bytes()),
            )
        ]
    )
    destination = Data.structure(Data.enum(0), Data.octet_string(b"10.0.0.1:4059"), Data.enum(0))
    for attribute, value in (
        (3, destination),
        (4, window),
        (5, Data.long_unsigned(30)),
        (6, Data.unsigned(3)),
        (7, Data.long_unsigned(60)),
    ):
        assert (
            in_process.write(association, PUSH_SETUP, attribute, value) is DataAccessResult.SUCCESS
        )
        assert in_process.read(association, PUSH_SETUP, attribute) == value


def test_bad_push_settings_are_refused() -> None:
    association = associate(meter(), MANAGEMENT)
    assert in_process.write(association, PUSH_SETUP, 6, Data.long_unsigned(3)) is (
        DataAccessResult.TYPE_UNMATCHED
    )
    bad_window = Data.array([Data.structure(Data.octet_string(b"x"), Data.octet_string(b"y"))])
    assert in_process.write(association, PUSH_SETUP, 4, bad_window) is (
        DataAccessResult.TYPE_UNMATCHED
    )
    # the object list is the head-end's contract: nobody writes it
    assert in_process.write(association, PUSH_SETUP, 2, Data.array([])) is not (
        DataAccessResult.SUCCESS
    )
    public = associate(meter(), PUBLIC)
    assert in_process.write(public, PUSH_SETUP, 6, Data.unsigned(1)) is not (
        DataAccessResult.SUCCESS
    )


def test_the_push_method_pushes_the_last_event_with_the_values_of_now() -> None:  # rule P9
    runtime = meter()
    association = associate(runtime, MANAGEMENT)
    queue = meter_pushes(runtime).queue
    assert len(queue) == 1  # power up, when the meter started pushing
    assert in_process.act(association, PUSH_SETUP, 1, Data.integer(0)) is ActionResult.SUCCESS
    assert len(queue) == 2
    queue.sent()
    event = parse_push(queue.oldest() or b"")
    assert (event.serial, event.event, event.supply) == ("VM0000000001", "power up", "connected")
    assert event.at == START
    assert in_process.read(association, (1, obis_map.EVENT_CODE), 2) == Data.unsigned(2)
    assert in_process.read(association, (1, obis_map.EVENT_TEXT), 2) == Data.octet_string(
        b"power up"
    )


def test_push_codes_are_the_event_log_codes() -> None:
    # a push and the event-log entry it comes from carry the same number
    for notice, code in NOTICE_CODES.items():
        assert int(code) == int(NOTICE_EVENTS[notice])
    assert int(PushEventCode.POWER_UP) == int(EventCode.POWER_UP)
    assert int(PushEventCode.POWER_DOWN) == int(EventCode.POWER_DOWN)
    assert int(PushEventCode.RECONNECTION_ENABLED) == int(EventCode.RELAY_READY_FOR_RECONNECTION)


simple_values = st.one_of(
    st.integers(-(2**31), 2**31 - 1).map(Data.double_long),
    st.integers(0, 255).map(Data.unsigned),
    st.integers(0, 255).map(Data.enum),
    st.binary(max_size=40).map(Data.octet_string),
    st.booleans().map(Data.boolean),
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=150)
@given(
    invoke_id=st.integers(0, 2**32),
    at=st.none() | moments,
    values=st.lists(simple_values, min_size=1, max_size=10),
)
def test_data_notification_round_trip(
    invoke_id: int, at: datetime | None, values: list[Data]
) -> None:
    stamp = None if at is None else CosemDateTime.from_datetime(at)
    raw = push_notification(invoke_id, stamp, values).to_bytes()
    parsed = parse_data_notification(raw)
    assert pushed_values(parsed, len(values)) == tuple(values)
    assert invoke_id_of(parsed) == invoke_id % 2**24
    assert parsed.date_time == (None if stamp is None else stamp.to_bytes())


@settings(max_examples=200)
@given(st.binary(max_size=80))
def test_garbage_is_never_taken_for_a_push(payload: bytes) -> None:
    try:
        parse_push(payload)
    except DecodeError:
        return
    raise AssertionError("garbage decoded as a push")


def test_the_push_queue_keeps_the_newest_when_full() -> None:
    # a long broker outage: the oldest pushes go, counted, the newest stay in order
    queue = PushQueue(limit=3)
    for number in range(5):
        queue.put(bytes([number]))
    assert (len(queue), queue.dropped, queue.oldest()) == (3, 2, bytes([2]))
