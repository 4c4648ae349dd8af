"""The MQTT brokers the tests run against: a Mosquitto process of our own, and the fixtures
tests/conftest.py offers every directory (``broker``: Mosquitto then amqtt in-process;
``mosquitto_factory``: Mosquitto processes a test starts itself, stopped after it)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest
from programs import require_program

from emulator.broker import EmbeddedBroker
from headend.mqtt import BrokerAddress

LISTEN_WAIT_S = 10.0


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
        for _ in range(int(LISTEN_WAIT_S / 0.02)):
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
            self.process.wait(timeout=LISTEN_WAIT_S)
            self.process = None


@pytest.fixture
def mosquitto_factory() -> Iterator[list[Mosquitto]]:
    """Mosquitto processes the test creates and starts itself; each is stopped afterwards."""
    require_program("mosquitto")
    started: list[Mosquitto] = []
    yield started
    for process in started:
        process.stop()


@pytest.fixture(params=["mosquitto", "amqtt"])
async def broker(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BrokerAddress]:
    """A running broker: each test using it runs against Mosquitto, then amqtt in-process."""
    if request.param == "mosquitto":
        require_program("mosquitto")
        process = Mosquitto(tmp_path)
        await process.start()
        try:
            yield process.address
        finally:
            process.stop()
        return
    embedded = EmbeddedBroker(0)
    await embedded.start()
    try:
        yield embedded.address
    finally:
        await embedded.close()
