"""The head-end half of ``vmeter demo``: a technician's session with the meter over MQTT.

Everything printed is read through the stack (``headend.Session`` over ``MqttTransport``,
the broker, the meter's MQTT communication module, its COSEM server and the firmware);
what the meter does on its side (LCD, relay, event log) is printed by ``emulator.demo``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from cosem.apdu import AttributeDescriptor, MethodDescriptor, SelectiveAccess
from cosem.axdr import Data
from cosem.classes.profile_generic import CLOCK_COLUMN, RANGE_SELECTOR
from cosem.datetime_codec import CosemDateTime
from cosem.obis import Obis
from emulator import obis_map
from firmware.rules.localtime import to_local
from headend.mqtt import PUBLIC_CLIENT, BrokerAddress, MqttTransport
from headend.session import Session
from headend.values import CLOCK_CLASS, scaled, to_text

MANAGEMENT_CLIENT = 1
REGISTER_CLASS = 3
PROFILE_CLASS = 7
DISCONNECT_CONTROL_CLASS = 70
REMOTE_DISCONNECT, REMOTE_RECONNECT = 1, 2
OUTPUT_STATE, CONTROL_STATE = 2, 3
CONTROL_STATES = {0: "disconnected", 1: "connected", 2: "ready_for_reconnection"}
ASSOCIATION_OBJECTS = AttributeDescriptor(15, obis_map.CURRENT_ASSOCIATION, 2)
SHOWN_OBJECTS = 6
POLLS = 20
DAILY_BALANCE_CENTS = (-345, 1155)
"""What the platform sends in the story: 3.45 EUR into the emergency credit (E7)."""
"""GETs of 1.8.1 timed for the round-trip figure."""


@dataclass(frozen=True)
class MeterSide:
    """What the story needs from the meter's side of the demo (``emulator.demo``)."""

    now: Callable[[], datetime]
    pass_time: Callable[[timedelta], None]
    """Let simulated time pass (the meter runs its deadlines meanwhile)."""
    firmware_register: Callable[[int], int]
    """The firmware's own register (Wh) by index, for comparison with what was read."""
    hold_button: Callable[[timedelta], None]
    press_button: Callable[[], None]
    """A short press of the green button, then a second passes (the LCD prints itself)."""
    show_news: Callable[[], None]
    """Print what changed on the meter (relay clicks, new event-log entries)."""


@dataclass
class StoryResult:
    registers: dict[str, Decimal] = field(default_factory=dict)
    """The energy registers read over MQTT (kWh or as the unit says), by OBIS."""
    profile_rows: int = 0
    round_trips_ms: list[float] = field(default_factory=list)


def stamped(moment: datetime, text: str) -> None:
    """One line of the story, at the meter's local time."""
    print(f"{to_local(moment):%Y-%m-%d %H:%M:%S %Z}  {text}", flush=True)


def headend_says(meter: MeterSide, text: str) -> None:
    stamped(meter.now(), f"head-end: {text}")


async def technician_session(
    address: BrokerAddress, serial: str, management_password: bytes, meter: MeterSide
) -> StoryResult:
    """Read the meter as the public client, then operate its relay as the management client."""
    result = StoryResult()
    headend_says(meter, f"connect to {address}, meter {serial}, public client {PUBLIC_CLIENT}")
    transport = await MqttTransport.connect(address, serial, client_sap=PUBLIC_CLIENT)
    async with Session(transport) as session:
        await _list_objects(session, meter)
        await _read_registers(session, meter, result)
        clock = await session.get(AttributeDescriptor(CLOCK_CLASS, obis_map.CLOCK, 2))
        headend_says(meter, f"clock {obis_map.CLOCK} = {to_text(clock, CLOCK_CLASS)}")
        await _read_profile_slice(session, meter, result)
        result.round_trips_ms = await _time_round_trips(session)
        headend_says(
            meter,
            f"{POLLS} GETs of 1.8.1 over MQTT: median round trip "
            f"{statistics.median(result.round_trips_ms):.2f} ms",
        )
    meter.pass_time(timedelta(minutes=1))
    headend_says(meter, f"management client {MANAGEMENT_CLIENT} (LLS) to operate the relay")
    transport = await MqttTransport.connect(address, serial, client_sap=MANAGEMENT_CLIENT)
    async with Session(transport, password=management_password) as session:
        await _daily_balance_update(session, meter)
        await _relay_order(session, meter, REMOTE_DISCONNECT, "remote_disconnect")
        meter.pass_time(timedelta(minutes=5))
        await _relay_order(session, meter, REMOTE_RECONNECT, "remote_reconnect")
        meter.pass_time(timedelta(minutes=1))
        stamped(meter.now(), "customer: holds the green button for 5 s (rule E8)")
        meter.hold_button(timedelta(seconds=5))
        meter.show_news()
        await _read_relay(session, meter)
    return result


async def _list_objects(session: Session, meter: MeterSide) -> None:
    listed = (await session.get(ASSOCIATION_OBJECTS)).items
    headend_says(meter, f"object list: {len(listed)} objects, the first {SHOWN_OBJECTS}:")
    for entry in listed[:SHOWN_OBJECTS]:
        class_id, version, name = entry.items[:3]
        assert isinstance(name.value, bytes)
        obis = Obis.from_bytes(name.value)
        print(f"{'':26}class {class_id.int_value:>3} v{version.int_value}  {obis}")


async def _read_registers(session: Session, meter: MeterSide, result: StoryResult) -> None:
    for index, obis in enumerate(obis_map.ENERGY_REGISTERS):
        value = await session.get(AttributeDescriptor(REGISTER_CLASS, obis, 2))
        scaler_unit = await session.get(AttributeDescriptor(REGISTER_CLASS, obis, 3))
        number, unit = scaled(value, scaler_unit)
        result.registers[str(obis)] = number
        own = meter.firmware_register(index)
        headend_says(meter, f"{obis} = {number} {unit}   (meter's own register: {own} Wh)")


async def _read_profile_slice(session: Session, meter: MeterSide, result: StoryResult) -> None:
    """Selective access by range on the clock column: noon to one o'clock of the day."""
    day = to_local(meter.now() - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    first, last = day.replace(hour=12), day.replace(hour=13)
    bounds = (
        Data.octet_string(CosemDateTime.from_datetime(moment).to_bytes())
        for moment in (first, last)
    )
    selection = Data.structure(CLOCK_COLUMN.to_data(), *bounds, Data.array(()))
    rows = await session.get(
        AttributeDescriptor(PROFILE_CLASS, obis_map.LOAD_PROFILE, 2),
        SelectiveAccess(RANGE_SELECTOR, selection),
    )
    result.profile_rows = len(rows.items)
    headend_says(
        meter,
        f"load profile {obis_map.LOAD_PROFILE} from {first:%H:%M} to {last:%H:%M}: "
        f"{len(rows.items)} entries (Wh: 1.8.1 1.8.2 2.8.1 2.8.2)",
    )
    for row in rows.items:
        stamp, *values = row.items
        assert isinstance(stamp.value, bytes)
        moment = CosemDateTime.from_bytes(stamp.value).to_datetime()
        cells = " ".join(f"{value.int_value:>8}" for value in values)
        print(f"{'':26}{moment:%Y-%m-%d %H:%M %z}  {cells}")


async def _daily_balance_update(session: Session, meter: MeterSide) -> None:
    """Rules E4, E7, M5: in central mode the platform computes the balance and sends it once a
    day; the meter only stores and shows it. (The platform comes with its own issue: the
    figures sent here are the story's input.)"""
    balance, emergency = DAILY_BALANCE_CENTS
    headend_says(
        meter,
        f"daily balance update: balance {balance / 100:.2f} EUR, "
        f"emergency credit {emergency / 100:.2f} EUR (rule E4)",
    )
    for obis, cents in ((obis_map.BALANCE, balance), (obis_map.EMERGENCY_CREDIT, emergency)):
        await session.set(AttributeDescriptor(REGISTER_CLASS, obis, 2), Data.double_long(cents))
    meter.show_news()
    stamped(meter.now(), "customer: presses the green button 9 times (rule E6: 7 to 94.32.2/1)")
    for _ in range(9):
        meter.press_button()


async def _time_round_trips(session: Session) -> list[float]:
    descriptor = AttributeDescriptor(REGISTER_CLASS, obis_map.IMPORT_PEAK, 2)
    times = []
    for _ in range(POLLS):
        began = time.perf_counter()
        await session.get(descriptor)
        times.append((time.perf_counter() - began) * 1000)
    return times


async def _relay_order(session: Session, meter: MeterSide, method: int, name: str) -> None:
    headend_says(meter, f"{name} ({obis_map.DISCONNECT_CONTROL} method {method})")
    await session.action(
        MethodDescriptor(DISCONNECT_CONTROL_CLASS, obis_map.DISCONNECT_CONTROL, method),
        Data.integer(0),
    )
    meter.show_news()
    await _read_relay(session, meter)


async def _read_relay(session: Session, meter: MeterSide) -> None:
    output, state = await session.get_with_list(
        [
            AttributeDescriptor(DISCONNECT_CONTROL_CLASS, obis_map.DISCONNECT_CONTROL, attribute)
            for attribute in (OUTPUT_STATE, CONTROL_STATE)
        ]
    )
    assert isinstance(output, Data) and isinstance(state, Data)
    headend_says(
        meter,
        f"relay output_state {output.value}, "
        f"control_state {CONTROL_STATES.get(state.int_value, state.int_value)}",
    )
