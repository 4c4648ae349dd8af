"""Event pushes, meter to head-end, through an MQTT broker on loopback, QoS 1, beside the floor
(a benchmark that prints figures; not a test).

Starts its own Mosquitto (TCP_NODELAY on, no persistence) on a free port, or an embedded amqtt
broker with ``--broker amqtt`` (as ``mqtt_roundtrip.py``). In one process and one event loop:
- event pushes: a virtual meter's ``emulator.mqtt_service.MqttService`` publishing its
  ``PushQueue`` (the real publisher: QoS 1, one in flight, each leaves the queue once the
  broker has it); each event is a low-credit notice handed to the meter's ``MeterPushes`` as
  the firmware hands it (P9), and a head-end subscriber decodes each message with
  ``headend.push_events.parse_push``;
- floor: two aiomqtt clients, one publishes (QoS 1, each publish awaited) a payload of the
  push's size, the other receives it.
Latency: from the event (the floor's publish) to the push decoded (the message received), one
at a time, p50 and p99 over ``--count`` of each after a warm-up, and the ratio of the p99s.
Goal: the pushes' p99 within 2x of the floor's.
Burst: ``--count`` of each sent at once and drained, in bursts of the meter's push queue
(``PUSH_QUEUE_LENGTH``: beyond it the oldest push is dropped); messages per second from the
first sent to the last received.
Both paths take turns (``CHUNK`` messages, one burst), so both see the same load.

    .venv/bin/python bench/push_latency.py [--count 2000] [--broker mosquitto|amqtt]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiomqtt
from mqtt_roundtrip import WARM_UP, amqtt, mosquitto

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emulator.config import MeterConfig, RunConfig  # noqa: E402
from emulator.cosem_binding import build_logical_device  # noqa: E402
from emulator.mqtt_service import MqttService  # noqa: E402
from emulator.push_binding import PUSH_QUEUE_LENGTH, meter_pushes  # noqa: E402
from emulator.runtime import VirtualMeter  # noqa: E402
from firmware.prepayment.account_events import LowCredit  # noqa: E402
from firmware.rules.money import Money  # noqa: E402
from headend.mqtt import QOS, BrokerAddress, MeterTopics, mqtt_client  # noqa: E402
from headend.push_codes import PushEventCode  # noqa: E402
from headend.push_events import parse_push  # noqa: E402

START = datetime(2026, 3, 2, tzinfo=UTC)
SUBSCRIBE_WAIT_S = 10.0
RUN_LIMIT_S = 600.0
"""A bench that hangs (a lost message) stops here."""
CHUNK = 100
"""Messages timed on one path before the other's turn: both see the same load (2 shared cores)."""


@dataclass
class PushPath:
    """One way from an event to the head-end: ``one()`` sends one message and waits until it
    is received (decoded), ``burst(n)`` sends ``n`` at once and returns the seconds until the
    last is received."""

    one: Callable[[], Awaitable[object]]
    burst: Callable[[int], Awaitable[float]]
    times: list[float] = field(default_factory=list)
    """Milliseconds of each ``one()``."""
    drained_s: float = 0.0

    async def time_one(self, count: int) -> None:
        for _ in range(count):
            began = time.perf_counter()
            await self.one()
            self.times.append((time.perf_counter() - began) * 1000)

    async def time_burst(self, count: int) -> None:
        self.drained_s += await self.burst(count)


@asynccontextmanager
async def subscriber(
    address: BrokerAddress, topic: str, name: str
) -> AsyncIterator[aiomqtt.Client]:
    """A head-end client subscribed (QoS 1) to ``topic``."""
    async with mqtt_client(address, identifier=f"bench-{name}", clean_session=True) as client:
        await client.subscribe(topic, qos=QOS)
        yield client


@asynccontextmanager
async def serving(service: MqttService) -> AsyncIterator[None]:
    await service.start()
    try:
        await asyncio.wait_for(service.wait_online(), SUBSCRIBE_WAIT_S)
        yield
    finally:
        await service.close()


@asynccontextmanager
async def event_pushes(address: BrokerAddress) -> AsyncIterator[tuple[PushPath, int]]:
    """A meter served over the broker pushing low-credit events to a head-end that decodes
    them; also yields the bytes of one push message."""
    config = MeterConfig()
    runtime = VirtualMeter(config, RunConfig(instant=True, start=START))
    device = build_logical_device(runtime, config)  # starts the pushes: power up queued
    pushes = meter_pushes(runtime)
    queue = pushes.queue
    service = MqttService(device, runtime.serial, address, pushes=queue)
    balance, threshold = Money.eur(4, 95), Money.eur(5)

    def low_credit() -> None:
        pushes.notice(LowCredit(runtime.clock.now(), balance, threshold))

    topic = MeterTopics(runtime.serial).push
    async with subscriber(address, topic, "headend") as headend, serving(service):

        async def decoded(expected: PushEventCode) -> int:
            """The bytes of the push message."""
            payload = (await anext(headend.messages)).payload
            if (pushed := parse_push(payload)).code != expected:
                sys.exit(f"expected a {expected.label} push, got {pushed.event}")
            return len(payload)

        async def one() -> int:
            low_credit()
            return await decoded(PushEventCode.LOW_CREDIT)

        async def burst(count: int) -> float:
            while len(queue):  # the burst before's last push waits for its PUBACK
                await asyncio.sleep(0.001)
            began = time.perf_counter()
            for _ in range(count):
                low_credit()
            for _ in range(count):
                await decoded(PushEventCode.LOW_CREDIT)
            return time.perf_counter() - began

        await decoded(PushEventCode.POWER_UP)
        yield PushPath(one, burst), await one()
    if queue.dropped:
        sys.exit(f"{queue.dropped} pushes dropped by a full queue")


@asynccontextmanager
async def floor(address: BrokerAddress, size: int) -> AsyncIterator[PushPath]:
    """Plain aiomqtt: a ``size``-byte payload published (QoS 1, each publish awaited as the
    meter's publisher does) to a subscriber."""
    topic = MeterTopics("BENCHFLOOR").push
    payload = bytes(size)
    publisher = mqtt_client(address, identifier="bench-publisher", clean_session=True)
    async with subscriber(address, topic, "floor") as receiver, publisher:

        async def one() -> None:
            await publisher.publish(topic, payload, qos=QOS)
            await anext(receiver.messages)

        async def publish(count: int) -> None:
            for _ in range(count):
                await publisher.publish(topic, payload, qos=QOS)

        async def burst(count: int) -> float:
            began = time.perf_counter()
            sending = asyncio.create_task(publish(count))
            for _ in range(count):
                await anext(receiver.messages)
            elapsed = time.perf_counter() - began
            await sending
            return elapsed

        yield PushPath(one, burst)


def bursts(count: int) -> list[int]:
    """``count`` split into bursts the push queue holds whole."""
    full, rest = divmod(count, PUSH_QUEUE_LENGTH)
    return [PUSH_QUEUE_LENGTH] * full + ([rest] if rest else [])


async def compare(address: BrokerAddress, count: int) -> tuple[PushPath, PushPath, int]:
    """The floor and the event pushes, measured in turns; and the bytes of a push."""
    async with event_pushes(address) as (pushes, size), floor(address, size) as plain:
        for path in (plain, pushes):
            for _ in range(WARM_UP):
                await path.one()
        for done in range(0, count, CHUNK):
            for path in (plain, pushes):
                await path.time_one(min(CHUNK, count - done))
        for burst in bursts(count):
            for path in (plain, pushes):
                await path.time_burst(burst)
    return plain, pushes, size


def latency_line(name: str, times: list[float]) -> float:
    """Prints p50 and p99; returns the p99."""
    cuts = statistics.quantiles(times, n=100)
    print(f"{name:<34} p50 {cuts[49]:6.3f} ms   p99 {cuts[98]:6.3f} ms   ({len(times)} messages)")
    return cuts[98]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2_000, help="pushes of each kind")
    parser.add_argument("--broker", choices=("mosquitto", "amqtt"), default="mosquitto")
    args = parser.parse_args()
    if args.count < 2:
        parser.error("--count must be at least 2 (for percentiles)")
    broker = mosquitto() if args.broker == "mosquitto" else amqtt()
    async with asyncio.timeout(RUN_LIMIT_S), broker as address:
        plain, pushes, size = await compare(address, args.count)
    print(f"broker: {args.broker} on {address}, QoS {QOS}, TCP_NODELAY; push {size} bytes")
    floor_p99 = latency_line("floor (aiomqtt -> aiomqtt)", plain.times)
    push_p99 = latency_line("event push (meter -> parse_push)", pushes.times)
    floor_rate, push_rate = args.count / plain.drained_s, args.count / pushes.drained_s
    print(
        f"burst of {args.count} (in bursts of {PUSH_QUEUE_LENGTH}, the push queue): "
        f"floor {floor_rate:,.0f} msg/s, event pushes {push_rate:,.0f}/s "
        f"({push_rate / floor_rate:.2f} of the floor)"
    )
    ratio = push_p99 / floor_p99
    verdict = "met" if ratio <= 2 else "not met"
    print(f"p99 ratio event push / floor: {ratio:.2f} (goal <= 2: {verdict})")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
