"""gurux-dlms (an independent client) against our server over loopback TCP.

The blocking gurux client runs in a thread so the server keeps serving on the test's loop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gurux_dlms import GXDateTime
from gurux_dlms.enums import ObjectType
from gurux_session import GuruxSession, find, in_thread
from served_tcp import START, ServedMeter

from firmware.disconnect_control import ControlState
from firmware.logs import EventCode

MANAGEMENT_PASSWORD = "00000000"  # documented default of client 1 (emulator/config.py)


def read_all_attributes(session: GuruxSession, objects: Any) -> dict[tuple[str, int], Any]:
    """Every readable attribute of every object (a profile's capture objects first, which
    gurux needs to decode the buffer)."""
    values = {}
    for obj in objects:
        order = list(range(1, obj.getAttributeCount() + 1))
        if obj.objectType == ObjectType.PROFILE_GENERIC:
            order.remove(3)
            order.insert(0, 3)
        for attribute in order:
            if obj.canRead(attribute):
                values[(obj.logicalName, attribute)] = session.read(obj, attribute)
    return values


async def test_gurux_reads_the_object_list_and_every_attribute_decodes(
    served: ServedMeter,
) -> None:
    served.advance_to(START + timedelta(hours=2))

    def session_work() -> tuple[Any, dict[tuple[str, int], Any]]:
        with GuruxSession(served.port) as session:
            session.client.maxReceivePDUSize = 256  # object list and profiles come in blocks
            session.associate()
            objects = session.object_list()
            values = read_all_attributes(session, objects)
            session.release()
            return objects, values

    objects, values = await in_thread(session_work)
    names = {obj.logicalName for obj in objects}
    assert {"1.0.1.8.1.255", "0.0.96.3.10.255", "0.0.1.0.0.255", "1.0.99.1.0.255"} <= names
    assert values[("0.0.96.1.0.255", 2)] == "VM0000000001"
    assert values[("0.0.42.0.0.255", 2)] == "VMT0000000000001"
    assert values[("0.0.96.3.10.255", 4)] == 3  # control mode 3 (rule M1)
    profile = find(objects, ObjectType.PROFILE_GENERIC, "1.0.99.1.0.255")
    assert len(profile.buffer) == 8  # two hours of quarter hours
    # the only attribute a public client may not read is the association's secret
    unreadable = [
        (obj.logicalName, attribute)
        for obj in objects
        for attribute in range(1, obj.getAttributeCount() + 1)
        if not obj.canRead(attribute)
    ]
    assert unreadable == [("0.0.40.0.0.255", 7)]


async def test_gurux_reads_1_8_1_after_known_consumption(served: ServedMeter) -> None:
    # rule E1: 500 W for 2 h of peak tariff = 1000 Wh on 1.8.1
    served.advance_to(START + timedelta(hours=2))

    def read_import_peak() -> Any:
        with GuruxSession(served.port) as session:
            session.associate()
            register = find(session.object_list(), ObjectType.REGISTER, "1.0.1.8.1.255")
            return session.read(register, 2)

    assert await in_thread(read_import_peak) == 1000


async def test_gurux_reads_the_four_energy_registers_in_one_request(served: ServedMeter) -> None:
    served.advance_to(START + timedelta(hours=2))

    def read_registers() -> list[Any]:
        with GuruxSession(served.port) as session:
            session.associate()
            objects = session.object_list()
            names = ("1.0.1.8.1.255", "1.0.1.8.2.255", "1.0.2.8.1.255", "1.0.2.8.2.255")
            registers = [find(objects, ObjectType.REGISTER, name) for name in names]
            return session.read_list([(register, 2) for register in registers])

    assert await in_thread(read_registers) == [1000, 0, 0, 0]


async def test_gurux_sets_the_clock_and_the_firmware_logs_it(served: ServedMeter) -> None:
    target = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)

    def set_clock() -> None:
        with GuruxSession(served.port, 1, MANAGEMENT_PASSWORD) as session:
            session.associate()
            clock = find(session.object_list(), ObjectType.CLOCK, "0.0.1.0.0.255")
            clock.time = GXDateTime(target)
            session.write(clock, 2)

    await in_thread(set_clock)
    assert served.runtime.clock.now() == target
    assert served.runtime.meter.events.entries()[-1].code is EventCode.CLOCK_SET


async def test_gurux_remote_disconnect_opens_the_relay(served: ServedMeter) -> None:
    def disconnect() -> None:
        with GuruxSession(served.port, 1, MANAGEMENT_PASSWORD) as session:
            session.associate()
            relay = find(session.object_list(), ObjectType.DISCONNECT_CONTROL, "0.0.96.3.10.255")
            session.method(relay.remoteDisconnect(session.client))

    await in_thread(disconnect)
    meter = served.runtime.meter
    assert meter.relay.control_state is ControlState.DISCONNECTED
    assert not served.runtime.hal.relay.closed


async def test_forbidden_transition_and_public_client_are_refused(served: ServedMeter) -> None:
    def refused_orders() -> tuple[int, int]:
        with (
            GuruxSession(served.port) as public,
            GuruxSession(served.port, 1, MANAGEMENT_PASSWORD) as management,
        ):
            public.associate()
            relay = find(public.object_list(), ObjectType.DISCONNECT_CONTROL, "0.0.96.3.10.255")
            denied = public.method(relay.remoteDisconnect(public.client))
            management.associate()
            # control mode 3, connected: remote_reconnect has no transition -> refused
            forbidden = management.method(relay.remoteReconnect(management.client))
            return denied.error, forbidden.error

    denied, forbidden = await in_thread(refused_orders)
    assert denied == 3  # read-write-denied
    assert forbidden == 2  # temporary-failure
    assert served.runtime.meter.relay.control_state is ControlState.CONNECTED


async def test_gurux_reads_a_profile_range(served: ServedMeter) -> None:
    served.advance_to(START + timedelta(hours=3))

    def read_range() -> Any:
        with GuruxSession(served.port) as session:
            session.associate()
            profile = find(session.object_list(), ObjectType.PROFILE_GENERIC, "1.0.99.1.0.255")
            session.read(profile, 3)
            return session.rows_by_range(
                profile, START + timedelta(minutes=60), START + timedelta(minutes=105)
            )

    rows = await in_thread(read_range)
    assert len(rows) == 4  # 10:00, 10:15, 10:30, 10:45 UTC, both bounds included
    first_time, import_peak = rows[0][0], rows[0][1]
    assert first_time.value.astimezone(UTC) == START + timedelta(minutes=60)
    assert import_peak == 500  # one hour at 500 W
