"""Helpers of the MQTT tests: a Mosquitto process of our own and a virtual meter (instant
clock, moved by the test) served over a broker."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from emulator.config import MeterConfig, RunConfig
from emulator.cosem_binding import build_logical_device
from emulator.mqtt_service import Backoff, MqttService
from emulator.runtime import VirtualMeter
from headend.mqtt import BrokerAddress

# Monday 2 March 2026, 10:00 in Brussels, 500 W constant load.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SERIAL = MeterConfig().meter.identity.serial_number
FAST_BACKOFF = Backoff(first_s=0.05, max_s=0.2)
WAIT_S = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mosquitto:
    """``mosquitto -c <conf>`` on a free loopback port (TOOLING: TCP_NODELAY on); ``stop`` and
    ``start`` again keep the port, and with ``persistent`` the sessions and queued messages.
    ``listener_options`` go under the listener (TLS files)."""

    def __init__(
        self, folder: Path, *, persistent: bool = False, listener_options: Sequence[str] = ()
    ) -> None:
        self.port = free_port()
        self.folder = folder
        self.config = folder / "mosquitto.conf"
        lines = [
            f"listener {self.port} 127.0.0.1",
            *listener_options,
            "allow_anonymous true",
            "set_tcp_nodelay true",
            f"persistence {'true' if persistent else 'false'}",
            f"persistence_location {folder}/",
            "user root",  # as root, stay root: the tmp folder is not the mosquitto user's
            "log_dest stderr",
        ]
        self.config.write_text("\n".join(lines) + "\n")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> BrokerAddress:
        return BrokerAddress("127.0.0.1", self.port)

    async def start(self) -> None:
        with (self.folder / "mosquitto.log").open("ab") as log:
            self.process = subprocess.Popen(
                ["mosquitto", "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=log
            )
        for _ in range(int(WAIT_S / 0.02)):
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.folder / 'mosquitto.log'}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.02)
                continue
            writer.close()
            return
        raise RuntimeError("mosquitto did not listen")

    def stop(self) -> None:
        """SIGTERM: Mosquitto saves its database (when persistent) and exits."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=WAIT_S)
            self.process = None


@dataclass
class ServedMeter:
    runtime: VirtualMeter
    service: MqttService

    @property
    def address(self) -> BrokerAddress:
        return self.service.address


async def serve_meter(address: BrokerAddress, backoff: Backoff = FAST_BACKOFF) -> ServedMeter:
    config = MeterConfig()
    runtime = VirtualMeter(config, RunConfig(instant=True, start=START))
    device = build_logical_device(runtime, config)
    service = MqttService(device, SERIAL, address, backoff=backoff)
    await service.start()
    await asyncio.wait_for(service.wait_online(), WAIT_S)
    return ServedMeter(runtime, service)
