"""Which broker ``vmeter run --mqtt`` talks to, and the embedded one.

``--mqtt embedded[:PORT]`` starts an amqtt broker in-process on 127.0.0.1 (``make demo``,
tests; port 0 picks a free one); anything else is a broker URL (``headend.mqtt``:
``mqtt://user:pass@host:port``, ``mqtts://host:port?ca=FILE``).
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from typing import Any

from amqtt.broker import Broker

from headend.mqtt import BrokerAddress, parse_broker_url

EMBEDDED = "embedded"
EMBEDDED_HOST = "127.0.0.1"
DEFAULT_EMBEDDED_PORT = 1883


@dataclass(frozen=True, slots=True)
class EmbeddedTarget:
    """Start our own broker on 127.0.0.1:``port``."""

    port: int = DEFAULT_EMBEDDED_PORT


def parse_mqtt_target(text: str) -> BrokerAddress | EmbeddedTarget:
    """``embedded``, ``embedded:PORT`` or a broker URL; ValueError saying what is wrong."""
    name, sep, port = text.partition(":")
    if name != EMBEDDED:
        return parse_broker_url(text)
    if not sep:
        return EmbeddedTarget()
    if not port.isdigit() or int(port) > 65535:
        raise ValueError(f"expected embedded or embedded:PORT, got {text!r}")
    return EmbeddedTarget(int(port))


class _NoDelayBroker(Broker):  # type: ignore[misc]  # amqtt has no type hints
    """amqtt does not set TCP_NODELAY on its connections: without it a QoS 1 round trip
    waits for delayed ACKs (TOOLING)."""

    async def stream_connected(self, reader: Any, writer: Any, listener_name: str) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await super().stream_connected(reader, writer, listener_name)


class EmbeddedBroker:
    """An amqtt broker on the caller's event loop, anonymous clients allowed, MQTT 3.1.1.

    amqtt forgets the sessions of anonymous clients when they disconnect: QoS 1 requests
    queued while the meter is away are kept by real brokers (Mosquitto), not by this one."""

    def __init__(self, port: int = DEFAULT_EMBEDDED_PORT, host: str = EMBEDDED_HOST) -> None:
        self.host = host
        self.port = port
        self._broker: Any = None

    @property
    def address(self) -> BrokerAddress:
        return BrokerAddress(self.host, self.port)

    async def start(self) -> None:
        """Listen; ``port`` 0 picks a free port, read back from ``self.port``."""
        logging.getLogger("amqtt").setLevel(logging.WARNING)  # one line per packet otherwise
        self._broker = _NoDelayBroker(
            {
                "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
                "plugins": {
                    "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
                },
            }
        )
        await self._broker.start()
        # amqtt does not report the port it bound: read it from its listening socket.
        sockets = self._broker._servers["default"].instance.sockets
        self.port = int(sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._broker is not None:
            broker, self._broker = self._broker, None
            await broker.shutdown()
