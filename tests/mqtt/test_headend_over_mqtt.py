"""The head-end's Session over MQTT against the meter's communication module, on Mosquitto
and on amqtt: reads, sets, actions, two head-ends at once, an offline meter."""

from __future__ import annotations

import asyncio

import pytest
from mqtt_rig import SERIAL, WAIT_S, ServedMeter

from cosem.apdu import AttributeDescriptor, MethodDescriptor
from cosem.axdr import Data
from cosem.client import AccessRefused
from emulator import obis_map
from firmware.disconnect_control import ControlState
from firmware.logs import EventCode
from headend.mqtt import BrokerAddress, MeterOffline, MqttTransport
from headend.session import Session

pytestmark = pytest.mark.timeout(60)

MANAGEMENT = 1
MANAGEMENT_PASSWORD = b"00000000"
SERIAL_NUMBER = AttributeDescriptor(1, obis_map.SERIAL_NUMBER, 2)
EAN = AttributeDescriptor(1, obis_map.EAN, 2)
IMPORT_PEAK = AttributeDescriptor(3, obis_map.IMPORT_PEAK, 2)
CONTROL_MODE = AttributeDescriptor(70, obis_map.DISCONNECT_CONTROL, 4)
REMOTE_DISCONNECT = MethodDescriptor(70, obis_map.DISCONNECT_CONTROL, 1)


async def public_session(address: BrokerAddress, client_id: str | None = None) -> Session:
    transport = await MqttTransport.connect(address, SERIAL, client_id=client_id)
    return Session(transport, timeout_s=WAIT_S)


async def management_session(address: BrokerAddress) -> Session:
    transport = await MqttTransport.connect(address, SERIAL, client_sap=MANAGEMENT)
    return Session(transport, password=MANAGEMENT_PASSWORD, timeout_s=WAIT_S)


async def test_read_serial_and_energy(served: ServedMeter) -> None:
    async with await public_session(served.address) as session:
        serial = await session.get(SERIAL_NUMBER)
        energy = await session.get(IMPORT_PEAK)
    assert serial == Data.octet_string(SERIAL.encode())
    assert energy.value == served.runtime.meter.registers_for_release()[0]


async def test_management_sets_control_mode(served: ServedMeter) -> None:
    async with await management_session(served.address) as session:
        await session.set(CONTROL_MODE, Data.enum(1))
        assert await session.get(CONTROL_MODE) == Data.enum(1)
    assert served.runtime.meter.relay.control_mode == 1


async def test_remote_disconnect_opens_the_relay(served: ServedMeter) -> None:
    # rule E8 path starts here: a remote disconnect leaves the supply off
    async with await management_session(served.address) as session:
        await session.action(REMOTE_DISCONNECT, Data.integer(0))
    assert served.runtime.meter.relay.control_state is ControlState.DISCONNECTED
    assert not served.runtime.hal.relay.closed


async def test_public_client_cannot_disconnect(served: ServedMeter) -> None:
    async with await public_session(served.address) as session:
        with pytest.raises(AccessRefused):
            await session.action(REMOTE_DISCONNECT, Data.integer(0))
    assert served.runtime.meter.relay.control_state is ControlState.CONNECTED


async def test_two_headends_at_once_get_their_own_answers(served: ServedMeter) -> None:
    async def read_many(client_id: str, attribute: AttributeDescriptor) -> list[Data]:
        async with await public_session(served.address, client_id) as session:
            return [await session.get(attribute) for _ in range(25)]

    serials, eans = await asyncio.gather(
        read_many("headend-a", SERIAL_NUMBER), read_many("headend-b", EAN)
    )
    assert set(serials) == {Data.octet_string(SERIAL.encode())}
    ean = served.runtime.meter.identity.ean.encode()
    assert set(eans) == {Data.octet_string(ean)}


async def test_unknown_meter_is_reported_offline(served: ServedMeter) -> None:
    with pytest.raises(MeterOffline, match="unknown"):
        await MqttTransport.connect(served.address, "NO-SUCH-METER", timeout_s=0.5)


async def test_stopped_meter_is_reported_offline(served: ServedMeter) -> None:
    await served.service.close()
    with pytest.raises(MeterOffline, match="offline"):
        await MqttTransport.connect(served.address, SERIAL)


async def test_meter_events_once_per_disconnect(served: ServedMeter) -> None:
    async with await management_session(served.address) as session:
        await session.action(REMOTE_DISCONNECT, Data.integer(0))
    codes = [event.code for event in served.runtime.meter.events]
    assert codes.count(EventCode.RELAY_DISCONNECTED) == 1
