"""The end of ``vmeter demo``: a technician reads the electricity meter over MQTT as the public
client (object list, the four indexes beside the firmware's own, a slice of the load profile
by selective access) and times GETs of 1.8.1 for the round-trip figure."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from cosem.apdu import AttributeDescriptor
from cosem.classes.register import REGISTER_CLASS_ID
from cosem.obis import Obis
from emulator import obis_map
from emulator.demo_output import more, say
from firmware.rules.localtime import to_local
from headend.mqtt import PUBLIC_CLIENT, BrokerAddress, MqttTransport
from headend.operations import read_profile_rows, read_registers
from headend.session import Session

ASSOCIATION_OBJECTS = AttributeDescriptor(15, obis_map.CURRENT_ASSOCIATION, 2)
SHOWN_OBJECTS = 4
POLLS = 20
"""GETs of 1.8.1 timed for the round-trip figure."""


async def technician_reads(
    address: BrokerAddress, serial: str, now: datetime, firmware_register: Callable[[int], int]
) -> list[float]:
    """The readout, printed; the round trips timed (ms)."""
    say(now, "head-end", f"technician reads {serial} over MQTT, public client {PUBLIC_CLIENT}")
    transport = await MqttTransport.connect(address, serial, client_sap=PUBLIC_CLIENT)
    async with Session(transport) as session:
        listed = (await session.get(ASSOCIATION_OBJECTS)).items
        names = []
        for entry in listed[:SHOWN_OBJECTS]:
            class_id, _version, name = entry.items[:3]
            assert isinstance(name.value, bytes)
            names.append(f"{Obis.from_bytes(name.value)} (class {class_id.int_value})")
        say(now, "head-end", f"object list: {len(listed)} objects: {', '.join(names)}, ...")
        for index, reading in enumerate(await read_registers(session)):
            own = firmware_register(index)
            say(
                now,
                "head-end",
                f"{reading.obis} = {reading.value} {reading.unit}   (firmware's own: {own} Wh)",
            )
        await _profile_slice(session, now)
        return await _time_round_trips(session)


async def _profile_slice(session: Session, now: datetime) -> None:
    """Selective access by range on the clock column: yesterday noon to one o'clock."""
    day = to_local(now - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    first, last = day.replace(hour=12), day.replace(hour=13)
    rows = await read_profile_rows(session, first, last)
    say(
        now,
        "head-end",
        f"load profile {obis_map.LOAD_PROFILE} {first:%a %H:%M} to {last:%H:%M}: "
        f"{len(rows)} entries (Wh: 1.8.1 1.8.2 2.8.1 2.8.2)",
    )
    for moment, values in rows:
        more(f"{to_local(moment):%H:%M}  " + " ".join(f"{value:>8}" for value in values))


async def _time_round_trips(session: Session) -> list[float]:
    descriptor = AttributeDescriptor(REGISTER_CLASS_ID, obis_map.IMPORT_PEAK, 2)
    times = []
    for _ in range(POLLS):
        began = time.perf_counter()
        await session.get(descriptor)
        times.append((time.perf_counter() - began) * 1000)
    return times
