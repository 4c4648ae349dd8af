"""A Mosquitto restart mid-run loses no command: the meter reconnects with back-off to its
persistent session, and a QoS 1 order published while it was away is served once after.
(amqtt forgets anonymous persistent sessions, so this runs on Mosquitto only.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from brokers import Mosquitto
from mqtt_rig import SERIAL, WAIT_S, serve_meter

from cosem.apdu import MethodDescriptor
from cosem.axdr import Data
from cosem.client import ActionDone, Associated, ClientAssociation
from cosem.wrapper import encode_wrapper
from emulator import obis_map
from emulator.mqtt_service import Backoff, LinkState
from firmware.disconnect_control import ControlState
from firmware.logs import EventCode
from headend.mqtt import QOS, BrokerAddress, MeterTopics, mqtt_client, unwrap_frame

pytestmark = pytest.mark.timeout(60)

MANAGEMENT = 1
METER_SAP = 1
REMOTE_DISCONNECT = MethodDescriptor(70, obis_map.DISCONNECT_CONTROL, 1)
TOPICS = MeterTopics(SERIAL)
# Long enough that the order below is published while the meter is still away.
SLOW_BACKOFF = Backoff(first_s=1.0, max_s=1.0)


async def exchange(address: BrokerAddress, request_id: str, apdu: bytes) -> bytes:
    """One request from head-end "ops" on a fresh connection, and its answer."""
    client = mqtt_client(address, identifier="vmeter-ops", clean_session=True)
    async with client:
        await client.subscribe(TOPICS.responses("ops"), qos=QOS)
        frame = encode_wrapper(MANAGEMENT, METER_SAP, apdu)
        await client.publish(TOPICS.request("ops", request_id), frame, qos=QOS)
        message = await asyncio.wait_for(anext(client.messages), WAIT_S)
        return unwrap_frame(message.payload).apdu


async def test_order_sent_during_restart_is_served_once(
    tmp_path: Path, mosquitto_factory: list[Mosquitto]
) -> None:
    broker = Mosquitto(tmp_path, persistent=True)
    mosquitto_factory.append(broker)
    await broker.start()
    served = await serve_meter(broker.address, SLOW_BACKOFF)
    try:
        client = ClientAssociation(b"00000000")
        aare = await exchange(broker.address, "1", client.associate_request())
        assert isinstance(client.receive_apdu(aare), Associated)

        broker.stop()
        while served.service.state is LinkState.ONLINE:
            await asyncio.sleep(0.01)
        await broker.start()  # same port, sessions restored from its database
        order = client.action_request(REMOTE_DISCONNECT, Data.integer(0))
        answer = await exchange(broker.address, "2", order)

        assert isinstance(client.receive_apdu(answer), ActionDone)
        assert served.service.connections == 2
        meter = served.runtime.meter
        assert meter.relay.control_state is ControlState.DISCONNECTED
        assert [e.code for e in meter.events].count(EventCode.RELAY_DISCONNECTED) == 1
    finally:
        await served.service.close()
