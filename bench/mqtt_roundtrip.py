"""Head-end GET round trips through an MQTT broker on loopback, QoS 1, beside the floor
(a benchmark that prints figures; not a test).

Starts its own Mosquitto (TCP_NODELAY on, no persistence) on a free port, or an embedded amqtt
broker with ``--broker amqtt``. In one process and one event loop:
- floor: two aiomqtt clients, one publishes a 21-byte request (QoS 1), the other answers it
  with a 20-byte response (QoS 1); the time from publish to answer received;
- head-end GET: ``headend.Session`` over ``MqttTransport`` reading 1-0:1.8.1.255 from a
  virtual meter served by ``emulator.mqtt_service.MqttService`` (the meter's live register).
p50 and p99 of each over ``--count`` round trips (after a warm-up), and the ratio of the
p99s. Goal: the head-end's p99 within 2x of the floor's.

    .venv/bin/python bench/mqtt_roundtrip.py [--count 10000] [--broker mosquitto|amqtt]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from aiomqtt import MqttError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cosem.apdu import AttributeDescriptor  # noqa: E402
from cosem.obis import Obis  # noqa: E402
from emulator.broker import EmbeddedBroker  # noqa: E402
from emulator.config import MeterConfig, RunConfig  # noqa: E402
from emulator.cosem_binding import build_logical_device  # noqa: E402
from emulator.mqtt_service import MqttService  # noqa: E402
from emulator.runtime import VirtualMeter  # noqa: E402
from headend.mqtt import QOS, BrokerAddress, MqttTransport, mqtt_client  # noqa: E402
from headend.session import Session  # noqa: E402

IMPORT_PEAK = AttributeDescriptor(3, Obis.parse("1.8.1"), 2)
REQUEST = bytes(21)
RESPONSE = bytes(20)
WARM_UP = 200
SERIAL = "BENCH0001"


@asynccontextmanager
async def mosquitto() -> AsyncIterator[BrokerAddress]:
    if shutil.which("mosquitto") is None:
        sys.exit("mosquitto is not installed (apt-get install mosquitto)")
    with tempfile.TemporaryDirectory() as folder, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        config = Path(folder) / "mosquitto.conf"
        config.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n"
            "persistence false\nuser root\nlog_dest none\n"
        )
        process = subprocess.Popen(["mosquitto", "-c", str(config)], stderr=subprocess.DEVNULL)
        try:
            for _ in range(250):
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    await asyncio.sleep(0.02)
                    continue
                writer.close()
                break
            yield BrokerAddress("127.0.0.1", port)
        finally:
            process.terminate()
            process.wait()


@asynccontextmanager
async def amqtt() -> AsyncIterator[BrokerAddress]:
    broker = EmbeddedBroker(0)
    await broker.start()
    try:
        yield broker.address
    finally:
        await broker.close()


async def measure(count: int, round_trip: Callable[[], Awaitable[object]]) -> list[float]:
    """Milliseconds of each of ``count`` round trips, after a warm-up."""
    for _ in range(WARM_UP):
        await round_trip()
    times = []
    for _ in range(count):
        began = time.perf_counter()
        await round_trip()
        times.append((time.perf_counter() - began) * 1000)
    return times


async def floor(address: BrokerAddress, count: int) -> list[float]:
    requester = mqtt_client(address, identifier="bench-requester", clean_session=True)
    responder = mqtt_client(address, identifier="bench-responder", clean_session=True)
    async with requester, responder:
        await responder.subscribe("bench/request", qos=QOS)
        await requester.subscribe("bench/response", qos=QOS)

        async def answer() -> None:
            # runs until the responder disconnects at the end of the run
            with contextlib.suppress(MqttError):
                async for _ in responder.messages:
                    await responder.publish("bench/response", RESPONSE, qos=QOS)

        async def round_trip() -> None:
            await requester.publish("bench/request", REQUEST, qos=QOS)
            await anext(requester.messages)

        task = asyncio.create_task(answer())
        times = await measure(count, round_trip)
    await task
    return times


async def headend_get(address: BrokerAddress, count: int) -> list[float]:
    config = MeterConfig()
    runtime = VirtualMeter(config, RunConfig(instant=True, start=datetime(2026, 3, 2, tzinfo=UTC)))
    service = MqttService(build_logical_device(runtime, config), SERIAL, address)
    await service.start()
    try:
        await asyncio.wait_for(service.wait_online(), 10)
        transport = await MqttTransport.connect(address, SERIAL)
        async with Session(transport) as session:
            return await measure(count, lambda: session.get(IMPORT_PEAK))
    finally:
        await service.close()


def summary(name: str, times: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(times, n=100)
    p50, p99 = cuts[49], cuts[98]
    print(f"{name:<28} p50 {p50:6.3f} ms   p99 {p99:6.3f} ms   ({len(times)} round trips)")
    return p50, p99


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="round trips of each kind")
    parser.add_argument("--broker", choices=("mosquitto", "amqtt"), default="mosquitto")
    args = parser.parse_args()
    broker = mosquitto() if args.broker == "mosquitto" else amqtt()
    async with broker as address:
        print(f"broker: {args.broker} on {address}, QoS {QOS}, TCP_NODELAY on both sides")
        _, floor_p99 = summary("floor (aiomqtt <-> aiomqtt)", await floor(address, args.count))
        _, get_p99 = summary("head-end GET (Session)", await headend_get(address, args.count))
    print(f"p99 ratio head-end / floor: {get_p99 / floor_p99:.2f} (goal <= 2)")


if __name__ == "__main__":
    asyncio.run(main())
