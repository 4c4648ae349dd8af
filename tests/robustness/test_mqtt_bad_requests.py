"""Brief: malformed frames get a clear error and the meter keeps serving. Garbage, truncated,
oversized payloads and wrong topics on a meter's request topics (Mosquitto and amqtt): each
request with a request id is answered with an exception-response, a wrong topic is ignored,
and the meter still answers a head-end and pushes its events (P9). A push queue that fills
while the broker is away keeps the newest pushes, in order, and says how many it dropped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from brokers import Mosquitto
from mqtt_rig import FAST_BACKOFF, WAIT_S
from payment_meter import SERIAL, meter_mode_config, meter_mode_runtime, token

from cosem.apdu import AttributeDescriptor
from cosem.obis import Obis
from cosem.wrapper import encode_wrapper
from emulator.cosem_binding import build_logical_device
from emulator.mqtt_service import MqttService
from emulator.push_binding import PUSH_QUEUE_LENGTH, MeterPushes, meter_pushes
from emulator.runtime import VirtualMeter
from firmware.rules.money import Money
from headend.mqtt import QOS, BrokerAddress, MeterTopics, MqttTransport, mqtt_client, unwrap_frame
from headend.push_codes import PushEventCode as Code
from headend.push_events import PushEvent
from headend.session import Session
from headend.watch import push_topic, watch

pytestmark = pytest.mark.timeout(60)

EXCEPTION_RESPONSE_TAG = 0xD8
PUBLIC_CLIENT, MANAGEMENT = 16, 1
CLOCK = AttributeDescriptor(8, Obis.parse("0.0.1.0.0.255"), 2)

BAD_PAYLOADS = {
    "empty": b"",
    "random bytes": bytes(range(7, 250, 3)),
    "a wrapper header cut short": bytes.fromhex("000100"),
    "a wrapper header alone": bytes.fromhex("0001001000010000"),
    "a wrapper longer than said": bytes.fromhex("00010010000100026001ff"),
    "a wrapper shorter than said": bytes.fromhex("00010010000100ff6001"),
    "a wrapper of another version": bytes.fromhex("0002001000010001ff"),
    "garbage APDU in a good wrapper": encode_wrapper(PUBLIC_CLIENT, 1, b"\xde\xad\xbe\xef"),
    "a GET before any association": encode_wrapper(
        PUBLIC_CLIENT, 1, bytes.fromhex("c001c100080000010000ff0200")
    ),
    "the largest wrapper, of zeros": encode_wrapper(PUBLIC_CLIENT, 1, bytes(0xFFFF)),
    "oversized, 512 KiB": bytes.fromhex("000100100001ffff") + bytes(512 * 1024),
}


class PushingMeter:
    """A meter-side prepayment meter served over the broker, with its pushes."""

    def __init__(self, address: BrokerAddress) -> None:
        config = meter_mode_config()
        self.runtime: VirtualMeter = meter_mode_runtime(config)
        self.pushes: MeterPushes = meter_pushes(self.runtime)
        device = build_logical_device(self.runtime, config)
        self.service = MqttService(
            device, SERIAL, address, backoff=FAST_BACKOFF, pushes=self.pushes.queue
        )

    async def start(self) -> None:
        await self.service.start()
        await asyncio.wait_for(self.service.wait_online(), WAIT_S)


@pytest.fixture
async def meter(broker: BrokerAddress) -> AsyncIterator[PushingMeter]:
    served = PushingMeter(broker)
    await served.start()
    yield served
    await served.service.close()


async def read_clock(address: BrokerAddress) -> object:
    transport = await MqttTransport.connect(address, SERIAL, timeout_s=WAIT_S)
    async with Session(transport, timeout_s=WAIT_S) as session:
        return (await session.get(CLOCK)).value


async def pushes_seen(address: BrokerAddress, count: int, trigger: object = None) -> list[int]:
    events: list[PushEvent] = []
    ready = asyncio.Event()
    task = asyncio.create_task(
        watch(address, push_topic(SERIAL), events.append, count=count, timeout_s=WAIT_S,
              subscribed=ready.set)
    )  # fmt: skip
    await asyncio.wait_for(ready.wait(), WAIT_S)
    if callable(trigger):
        trigger()
    await asyncio.wait_for(task, 2 * WAIT_S)
    return [event.code for event in events]


async def test_bad_requests_are_answered_and_the_meter_keeps_serving_and_pushing(
    meter: PushingMeter,
) -> None:
    address = meter.service.address
    topics = MeterTopics(SERIAL)
    answers: dict[str, bytes] = {}
    async with mqtt_client(address, identifier="vmeter-r2-garbler", clean_session=True) as raw:
        await raw.subscribe(f"{topics.root}/dlms/response/#", qos=QOS)
        for number, payload in enumerate(BAD_PAYLOADS.values()):
            await raw.publish(topics.request("garbler", f"r{number}"), payload, qos=QOS)
        for wrong in ("vmeter/+/dlms/request/x", f"{topics.root}/dlms/request/a/b/c"):
            await raw.publish(wrong.replace("+", SERIAL), BAD_PAYLOADS["random bytes"], qos=QOS)
        await raw.publish(f"{topics.root}/dlms/request", b"no client id", qos=QOS)
        async with asyncio.timeout(WAIT_S):
            async for message in raw.messages:
                answers[message.topic.value.rsplit("/", 1)[1]] = bytes(message.payload)
                if len(answers) == len(BAD_PAYLOADS):
                    break
    # one answer per request, each an exception-response; none to the wrong topics
    assert sorted(answers) == sorted(f"r{n}" for n in range(len(BAD_PAYLOADS)))
    for answer in answers.values():
        assert unwrap_frame(answer).apdu[0] == EXCEPTION_RESPONSE_TAG
    assert meter.service.connections == 1  # never knocked off the broker
    assert await read_clock(address) is not None  # a head-end is still served
    codes = await pushes_seen(
        address, 1, lambda: meter.runtime.meter.enter_token(token(1, "10.00"))
    )
    assert codes == [Code.TOP_UP_RECEIVED]  # and the meter still pushes


async def test_a_push_queue_full_while_offline_keeps_the_newest_in_order(tmp_path: Path) -> None:
    # rule P9 over an outage longer than the queue: the oldest pushes go, the newest wait
    broker = Mosquitto(tmp_path, persistent=True)
    await broker.start()
    meter = PushingMeter(broker.address)
    try:
        first = asyncio.create_task(watch_session(broker.address, 1))
        await asyncio.sleep(0)
        await meter.start()
        assert [event.code for event in await first] == [Code.POWER_UP]
        broker.stop()
        extra = 3
        for seq in range(1, PUSH_QUEUE_LENGTH + extra + 1):
            assert meter.runtime.meter.enter_token(token(seq, "5.00")).accepted
        assert len(meter.pushes.queue) == PUSH_QUEUE_LENGTH
        assert meter.pushes.queue.dropped == extra
        await broker.start()
        await asyncio.wait_for(meter.service.wait_online(), WAIT_S)
        events = await watch_session(broker.address, PUSH_QUEUE_LENGTH)
        assert {event.code for event in events} == {Code.TOP_UP_RECEIVED}
        balances = [event.balance for event in events]
        start_balance = Money.eur(20)  # the P1 starting credit, before the first token
        assert balances == [
            start_balance + Money.eur(5 * seq)
            for seq in range(extra + 1, PUSH_QUEUE_LENGTH + extra + 1)
        ]
        assert len(meter.pushes.queue) == 0
    finally:
        await meter.service.close()
        broker.stop()


async def watch_session(address: BrokerAddress, count: int) -> list[PushEvent]:
    """``count`` pushes through one persistent session, which misses none over an outage."""
    events: list[PushEvent] = []
    await watch(
        address, push_topic(SERIAL), events.append, count=count, timeout_s=3 * WAIT_S,
        session="r2-outage",
    )  # fmt: skip
    return events


NOT_PUSHES = {
    "text": b"hello",
    "empty": b"",
    "a data-notification of one integer": bytes.fromhex("0f00000001000f07"),
    "a GET request": bytes.fromhex("c001c100080000010000ff0200"),
}


async def test_watch_reports_what_is_not_a_push_and_goes_on(
    meter: PushingMeter, capsys: pytest.CaptureFixture[str]
) -> None:
    address = meter.service.address
    topic = push_topic(SERIAL)

    async def garbage_then_a_top_up() -> None:
        async with mqtt_client(address, identifier="vmeter-r2-noise", clean_session=True) as raw:
            for payload in NOT_PUSHES.values():
                await raw.publish(topic, payload, qos=QOS)
        meter.runtime.meter.enter_token(token(1, "10.00"))

    events: list[PushEvent] = []
    ready = asyncio.Event()
    watching = asyncio.create_task(
        watch(address, topic, events.append, count=1, timeout_s=WAIT_S, subscribed=ready.set)
    )
    await asyncio.wait_for(ready.wait(), WAIT_S)
    await garbage_then_a_top_up()
    assert await asyncio.wait_for(watching, 2 * WAIT_S) == 1
    assert [event.code for event in events] == [Code.TOP_UP_RECEIVED]
    reports = capsys.readouterr().err.splitlines()
    assert len(reports) == len(NOT_PUSHES)
    assert all(line.startswith(f"{topic}: not an event push (") for line in reports)
