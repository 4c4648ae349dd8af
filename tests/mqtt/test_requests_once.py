"""Requests over MQTT reach the meter's state once, and bad ones never stop it: a QoS 1
redelivery (same topic, request id and payload) is answered from the cache; malformed payloads
get an exception-response. Over Mosquitto and amqtt, and on the sans-IO core directly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiomqtt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mqtt_rig import SERIAL, START, WAIT_S, ServedMeter

from cosem.apdu import AttributeDescriptor, MethodDescriptor
from cosem.apdu.enums import ServiceError, StateError
from cosem.apdu.notification import parse_exception_response
from cosem.axdr import Data
from cosem.client import ActionDone, Associated, ClientAssociation
from cosem.wrapper import encode_wrapper
from emulator import obis_map
from emulator.config import MeterConfig, RunConfig
from emulator.cosem_binding import build_logical_device
from emulator.mqtt_service import MqttRequests
from emulator.runtime import VirtualMeter
from firmware.logs import EventCode
from headend.mqtt import QOS, MeterTopics, MqttTransport, mqtt_client, unwrap_frame
from headend.session import Session

pytestmark = pytest.mark.timeout(60)

MANAGEMENT = 1
METER_SAP = 1
PASSWORD = b"00000000"
REMOTE_DISCONNECT = MethodDescriptor(70, obis_map.DISCONNECT_CONTROL, 1)
SERIAL_NUMBER = AttributeDescriptor(1, obis_map.SERIAL_NUMBER, 2)
TOPICS = MeterTopics(SERIAL)


class RawHeadEnd:
    """A head-end publishing exactly the bytes and topics the test chooses."""

    def __init__(self, client: aiomqtt.Client, client_id: str) -> None:
        self.client = client
        self.client_id = client_id

    async def publish(self, request_id: str | None, payload: bytes) -> None:
        topic = TOPICS.request(self.client_id, request_id)
        await self.client.publish(topic, payload, qos=QOS)

    async def answer(self) -> tuple[str, bytes]:
        message = await asyncio.wait_for(anext(self.client.messages), WAIT_S)
        return message.topic.value, message.payload

    async def exchange(self, request_id: str | None, payload: bytes) -> bytes:
        await self.publish(request_id, payload)
        return (await self.answer())[1]


@pytest.fixture
async def raw(served: ServedMeter) -> AsyncIterator[RawHeadEnd]:
    client = mqtt_client(served.address, identifier="vmeter-raw", clean_session=True)
    async with client:
        await client.subscribe(f"{TOPICS.root}/dlms/response/raw/#", qos=QOS)
        yield RawHeadEnd(client, "raw")


async def associate(raw: RawHeadEnd, client: ClientAssociation, client_sap: int) -> None:
    answer = await raw.exchange(
        "aarq", encode_wrapper(client_sap, METER_SAP, client.associate_request())
    )
    assert isinstance(client.receive_apdu(unwrap_frame(answer).apdu), Associated)


def disconnects(served: ServedMeter) -> int:
    codes = [event.code for event in served.runtime.meter.events]
    return codes.count(EventCode.RELAY_DISCONNECTED)


async def test_redelivered_disconnect_applies_once(served: ServedMeter, raw: RawHeadEnd) -> None:
    client = ClientAssociation(PASSWORD)
    answer = await raw.exchange(
        "a1", encode_wrapper(MANAGEMENT, METER_SAP, client.associate_request())
    )
    assert isinstance(client.receive_apdu(unwrap_frame(answer).apdu), Associated)
    order = encode_wrapper(
        MANAGEMENT, METER_SAP, client.action_request(REMOTE_DISCONNECT, Data.integer(0))
    )

    first = await raw.exchange("a2", order)
    again = await raw.exchange("a2", order)  # what a QoS 1 redelivery looks like

    assert isinstance(client.receive_apdu(unwrap_frame(first).apdu), ActionDone)
    assert again == first
    assert disconnects(served) == 1
    assert served.service.requests.replayed == 1


async def test_same_bytes_under_a_new_request_id_run_again(
    served: ServedMeter, raw: RawHeadEnd
) -> None:
    client = ClientAssociation()
    await associate(raw, client, 16)
    read = encode_wrapper(16, METER_SAP, client.get_request(SERIAL_NUMBER))
    await raw.exchange("b2", read)
    await raw.exchange("b3", read)
    assert served.service.requests.executed == 3
    assert served.service.requests.replayed == 0


async def test_answer_topic_echoes_the_request_id(served: ServedMeter, raw: RawHeadEnd) -> None:
    client = ClientAssociation()
    await raw.publish("r-42", encode_wrapper(16, METER_SAP, client.associate_request()))
    topic, _ = await raw.answer()
    assert topic == TOPICS.response("raw", "r-42")


async def test_short_topic_without_request_id_is_served(
    served: ServedMeter, raw: RawHeadEnd
) -> None:
    client = ClientAssociation()
    await raw.publish(None, encode_wrapper(16, METER_SAP, client.associate_request()))
    topic, answer = await raw.answer()
    assert topic == TOPICS.response("raw")
    assert isinstance(client.receive_apdu(unwrap_frame(answer).apdu), Associated)


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\x00\x01",
        b"not a wrapper frame at all",
        encode_wrapper(16, METER_SAP, b"\x60\x00")[:-1],  # length says more than follows
        b"\x00\x02" + encode_wrapper(16, METER_SAP, b"\xc0")[2:],  # wrapper version 2
    ],
)
async def test_malformed_payload_gets_an_exception_response(
    served: ServedMeter, raw: RawHeadEnd, payload: bytes
) -> None:
    answer = unwrap_frame(await raw.exchange("bad", payload))
    exception = parse_exception_response(answer.apdu)
    assert (exception.state_error, exception.service_error) == (
        StateError.SERVICE_NOT_ALLOWED,
        ServiceError.OTHER_REASON,
    )
    # The meter still serves.
    transport = await MqttTransport.connect(served.address, SERIAL)
    async with Session(transport, timeout_s=WAIT_S) as session:
        assert await session.get(SERIAL_NUMBER) == Data.octet_string(SERIAL.encode())


async def test_garbage_apdu_in_a_good_frame_gets_an_exception_response(
    served: ServedMeter, raw: RawHeadEnd
) -> None:
    answer = unwrap_frame(await raw.exchange("junk", encode_wrapper(16, METER_SAP, b"\xff\x00")))
    assert answer.apdu[0] == 0xD8  # exception-response
    assert (answer.source_wport, answer.dest_wport) == (METER_SAP, 16)


@pytest.fixture(scope="module")
def requests() -> MqttRequests:
    config = MeterConfig()
    runtime = VirtualMeter(config, RunConfig(instant=True, start=START))
    return MqttRequests(build_logical_device(runtime, config))


@settings(max_examples=200, deadline=None)
@given(
    client_id=st.sampled_from(["a", "b"]),
    request_id=st.none() | st.text(max_size=4),
    payload=st.binary(max_size=40),
)
def test_any_payload_gets_an_answer_or_nothing(
    requests: MqttRequests, client_id: str, request_id: str | None, payload: bytes
) -> None:
    answer = requests.answer(client_id, request_id, payload)
    if answer is not None:
        assert unwrap_frame(answer).source_wport == METER_SAP


AARQ = encode_wrapper(16, METER_SAP, ClientAssociation().associate_request())
GET_FRAMES = st.builds(
    lambda invoke: encode_wrapper(
        16,
        METER_SAP,
        bytes([0xC0, 0x01, 0xC0 | invoke])
        + b"\x00\x01"
        + obis_map.SERIAL_NUMBER.to_bytes()
        + b"\x02\x00",
    ),
    st.integers(0, 15),
)


@settings(max_examples=100, deadline=None)
@given(
    request_id=st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=8),
    payload=st.one_of(st.just(AARQ), GET_FRAMES, st.binary(max_size=30)),
)
def test_a_redelivery_is_answered_alike_and_not_executed(
    requests: MqttRequests, request_id: str, payload: bytes
) -> None:
    first = requests.answer("redelivered", request_id, payload)
    executed = requests.executed
    assert requests.answer("redelivered", request_id, payload) == first
    assert requests.executed == executed
