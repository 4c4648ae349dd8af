"""``vmeter demo``: a household's electricity and gas meters, the prepayment platform and a
head-end, all over the embedded MQTT broker, in a story printed as it happens; it ends by
itself in seconds.

1. an amqtt broker on 127.0.0.1 (ephemeral port); the electricity meter and the gas meter
   (``emulator.demo_household``, fresh temporary state), each with its MQTT communication
   module (``vmeter/<serial>/...``), the electricity meter's event pushes on;
2. the story (``emulator.demo_story``): five simulated days in central prepayment, the
   head-end's live platform (``emulator.demo_platform``) reading, billing and operating both
   meters over MQTT, its outbox published on ``vmeter/platform/outbox/<serial>``;
3. a technician's readout (``emulator.demo_technician``);
4. a summary and a clean shutdown (each meter ``offline``, the broker closed).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
from datetime import datetime
from pathlib import Path

from emulator.broker import EmbeddedBroker
from emulator.cosem_binding import build_logical_device
from emulator.demo_household import ENROLMENT, electricity_config, gas_config
from emulator.demo_output import LcdTicker
from emulator.demo_platform import (
    balance,
    charged,
    demo_platform,
    notices_published,
    orders_sent,
    topped_up,
)
from emulator.demo_story import Cast, tell
from emulator.demo_technician import technician_reads
from emulator.demo_watch import BrokerWatch
from emulator.demo_world import DemoWorld
from emulator.mqtt_service import MqttService
from emulator.push_binding import push_queue, started_pushes
from emulator.runtime import VirtualMeter
from headend.mqtt import QOS, BrokerAddress, mqtt_client
from headend.platform.ledger import Ledger
from headend.platform.live import OUTBOX_TOPIC

ONLINE_TIMEOUT_S = 10.0


def run_demo(start: datetime) -> None:
    """``vmeter demo``: the whole story, the meters installed at ``start``."""
    asyncio.run(demo(start))


async def demo(start: datetime) -> None:
    broker = EmbeddedBroker(port=0)
    await broker.start()
    print(f"embedded MQTT broker on mqtt://{broker.host}:{broker.port}", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="vmeter-demo-") as state:
            await _with_meters(broker.address, Path(state), start)
    finally:
        await broker.close()
        print("broker closed", flush=True)


async def _with_meters(address: BrokerAddress, state: Path, start: datetime) -> None:
    configs = electricity_config(state, start), gas_config(state, start)
    electricity = VirtualMeter(configs[0], configs[0].run, on_lcd=LcdTicker("meter"))
    gas = VirtualMeter(configs[1], configs[1].run, on_lcd=LcdTicker("gas"))
    world = DemoWorld(electricity, gas)
    watch = BrokerWatch(address, world.now)
    services = []
    for virtual, config in zip((electricity, gas), configs, strict=True):
        device = build_logical_device(virtual, config)  # its pushes start with it (power up)
        queue = push_queue(virtual)
        watch.count_pushes_of(queue)
        services.append(MqttService(device, virtual.serial, address, pushes=queue))
    password = configs[0].security.management_password.encode()  # both meters' (client 1)
    try:
        await watch.start()
        for service in services:
            await service.start()
            await asyncio.wait_for(service.wait_online(), ONLINE_TIMEOUT_S)
            await watch.until_status(service.topics.serial, "online")
        await watch.settle()
        async with mqtt_client(
            address, identifier="vmeter-demo-platform-outbox", clean_session=True
        ) as outbox:

            async def publish(topic: str, payload: bytes) -> None:
                await outbox.publish(topic, payload, qos=QOS)

            live = demo_platform(address, world, password, publish, ENROLMENT)
            await tell(Cast(world, live, watch, electricity.serial, gas.serial))
        round_trips = await technician_reads(
            address, electricity.serial, world.now(), lambda i: world.meter.registers[i]
        )
        await _shut_down(world, services, watch)
        print_summary(world, live.platform.ledger, services, watch, round_trips)
        live.platform.ledger.close()
    finally:
        for service in services:
            await service.close()
        electricity.shutdown()
        gas.shutdown()
        await watch.close()


async def _shut_down(world: DemoWorld, services: list[MqttService], watch: BrokerWatch) -> None:
    """Power down (each meter's last push), then each module goes offline."""
    for virtual in (world.electricity, world.gas_meter):
        virtual.shutdown()
        for pushes in started_pushes(virtual):
            pushes.power_down()
    await watch.settle()
    for service in services:
        await service.close()
        await watch.until_status(service.topics.serial, "offline")


def print_summary(
    world: DemoWorld,
    ledger: Ledger,
    services: list[MqttService],
    watch: BrokerWatch,
    round_trips: list[float],
) -> None:
    meter, gas = world.meter, world.gas
    serial, gas_serial = meter.identity.serial_number, world.gas_meter.serial
    registers = meter.registers.by_obis()
    print()
    print("summary")
    print(
        f"  electricity {serial}: imported "
        f"{(registers['1.8.1'] + registers['1.8.2']) / 1000:.3f} kWh, charged "
        f"{charged(ledger, serial)} EUR, topped up {topped_up(ledger, serial)} EUR, balance "
        f"{balance(ledger, serial)} EUR, relay {meter.relay.control_state.name.lower()}"
    )
    print(
        f"  gas {gas_serial}: used {gas.volume_dm3 // 1000}.{gas.volume_dm3 % 1000:03d} m3, "
        f"charged {charged(ledger, gas_serial)} EUR, topped up {topped_up(ledger, gas_serial)}"
        f" EUR, balance {balance(ledger, gas_serial)} EUR, valve "
        f"{gas.valve.control_state.name.lower()}, leak test {gas.leak_test.state.value}"
    )
    print(
        f"  platform orders sent: {orders_sent(ledger)}; notices published on "
        f"{OUTBOX_TOPIC.format(serial='<serial>')}: {notices_published(ledger)}"
    )
    print(f"  event pushes received: {watch.pushes_received}")
    executed = sum(service.requests.executed for service in services)
    print(
        f"  COSEM requests served over MQTT: {executed}; round trip (GET 1.8.1, head-end -> "
        f"broker -> meter -> broker -> head-end): median {statistics.median(round_trips):.2f} ms"
        f" over {len(round_trips)}"
    )
