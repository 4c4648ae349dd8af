"""The meter's MQTT communication module: the COSEM server over a broker, sibling of
``emulator.tcp_service``. Topics and the dedupe key are described in ``headend.mqtt``.

Two parts:
- ``MqttRequests`` (sans-IO): a request (client-id, request-id, wrapper frame) in, the
  wrapper-framed answer out. One ``ServerAssociation`` per (client-id, client SAP); the last
  ``CACHE_SIZE`` answers of each client-id are kept, so a QoS 1 redelivery (same client-id,
  request-id and payload) is answered again without executing twice (a disconnect or a
  top-up applies once). A payload that is not one whole wrapper frame is answered with an
  exception-response; a frame for another server SAP is ignored (as over TCP).
- ``MqttService``: the asyncio loop. A persistent session (clean session off, the fixed
  client identifier ``vmeter-meter-<serial>``) so the QoS 1 requests queued while the meter
  was away are served when it is back; the retained status ``online`` once subscribed,
  ``offline`` on a clean stop and as last will; reconnection with exponential back-off.
  The answer cache lives in memory: a redelivery after a restart of the meter's process
  runs again.
Event pushes (``emulator.push_binding``) go out on ``MeterTopics.push`` (QoS 1) while online,
oldest first, each removed from its ``PushQueue`` once the broker has it; ``close`` sends what
is left (the power-down push last) before ``offline``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum

import aiomqtt

from cosem.apdu.enums import ServiceError, StateError
from cosem.apdu.notification import ExceptionResponse
from cosem.errors import DecodeError
from cosem.server import LogicalDevice
from cosem.trace import Tracer
from cosem.wrapper import encode_wrapper
from cosem.wrapper_server import WrapperAssociations
from emulator.broker import EmbeddedBroker, EmbeddedTarget, parse_mqtt_target
from emulator.config import ConfigError, MeterConfig
from emulator.cosem_binding import build_logical_device
from emulator.push_binding import PushQueue, push_queue, started_pushes
from emulator.runtime import VirtualMeter
from emulator.tcp_service import on_stderr, run_with_tcp
from headend.mqtt import (
    OFFLINE,
    ONLINE,
    QOS,
    BrokerAddress,
    MeterTopics,
    mqtt_client,
    unwrap_frame,
)

log = logging.getLogger(__name__)

CACHE_SIZE = 32
"""Answers kept per client-id: a redelivery comes right after a reconnection."""
MAX_CLIENTS = 64
"""Client-ids with live associations; the least recently heard one is forgotten beyond."""
_UNREADABLE = ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, ServiceError.OTHER_REASON)


# -- sans-IO: requests in, answers out ---------------------------------------------------------


@dataclass
class _Client:
    """What the meter remembers of one head-end (client-id)."""

    wrapper: WrapperAssociations
    answered: OrderedDict[str, tuple[bytes, bytes | None]] = field(default_factory=OrderedDict)
    """request-id -> (request payload, answer), oldest first."""


class MqttRequests:
    """Answers DLMS requests arriving over MQTT for one logical device."""

    def __init__(self, device: LogicalDevice, trace: Tracer | None = None) -> None:
        self.device = device
        self.trace = trace
        self.executed = 0
        """Requests handed to an association (replays from the cache not counted)."""
        self.replayed = 0
        self._clients: OrderedDict[str, _Client] = OrderedDict()

    def answer(self, client_id: str, request_id: str | None, payload: bytes) -> bytes | None:
        """The wrapper-framed answer to one request (None: nothing to send back)."""
        client = self._client(client_id)
        if request_id is not None:
            done = client.answered.get(request_id)
            if done is not None and done[0] == payload:
                self.replayed += 1
                return done[1]
        response = self._execute(client, payload)
        if request_id is not None:
            client.answered[request_id] = (payload, response)
            client.answered.move_to_end(request_id)
            if len(client.answered) > CACHE_SIZE:
                client.answered.popitem(last=False)
        return response

    def _client(self, client_id: str) -> _Client:
        client = self._clients.get(client_id)
        if client is None:
            client = self._clients[client_id] = _Client(
                WrapperAssociations(self.device, self.trace)
            )
            if len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)
        else:
            self._clients.move_to_end(client_id)
        return client

    def _execute(self, client: _Client, payload: bytes) -> bytes | None:
        server_sap = self.device.server_sap
        try:
            frame = unwrap_frame(payload)
        except DecodeError as error:
            log.info("unreadable DLMS request over MQTT: %s", error)
            # Answer to the source wPort if the header got that far.
            client_sap = int.from_bytes(payload[2:4], "big") if len(payload) >= 4 else 0
            return encode_wrapper(server_sap, client_sap, _UNREADABLE.to_bytes())
        if client.wrapper.addressed_to_us(frame.dest_wport):
            self.executed += 1
        return client.wrapper.answer(frame.source_wport, frame.dest_wport, payload, frame.apdu)


# -- the asyncio loop --------------------------------------------------------------------------


class LinkState(Enum):
    CONNECTING = "connecting"
    ONLINE = "online"
    BACKING_OFF = "backing off"
    STOPPED = "stopped"


_TRANSITIONS: dict[LinkState, frozenset[LinkState]] = {
    LinkState.STOPPED: frozenset({LinkState.CONNECTING}),
    LinkState.CONNECTING: frozenset({LinkState.ONLINE, LinkState.BACKING_OFF, LinkState.STOPPED}),
    LinkState.ONLINE: frozenset({LinkState.BACKING_OFF, LinkState.STOPPED}),
    LinkState.BACKING_OFF: frozenset({LinkState.CONNECTING, LinkState.STOPPED}),
}


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays between reconnection attempts: ``first_s``, doubling, at most ``max_s``."""

    first_s: float = 0.5
    max_s: float = 30.0

    def delays(self) -> Iterator[float]:
        delay = self.first_s
        while True:
            yield delay
            delay = min(delay * 2, self.max_s)


class MqttService:
    """Serves one logical device over a broker; ``start()`` then ``close()``."""

    def __init__(
        self,
        device: LogicalDevice,
        serial: str,
        address: BrokerAddress,
        *,
        backoff: Backoff | None = None,
        trace: Tracer | None = None,
        pushes: PushQueue | None = None,
    ) -> None:
        self.requests = MqttRequests(device, trace)
        self.pushes = pushes
        self._push_waiting = asyncio.Event()
        self._publisher: asyncio.Task[None] | None = None
        self._publishing = asyncio.Lock()
        if pushes is not None:
            pushes.subscribe(self._push_waiting.set)
        self.topics = MeterTopics(serial)
        self.address = address
        self.backoff = backoff or Backoff()
        self.state = LinkState.STOPPED
        self.connections = 0
        """Successful connections so far (1 + reconnections)."""
        self.client: aiomqtt.Client | None = None
        self._online = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the connection loop; returns at once (see ``wait_online``)."""
        self._task = asyncio.create_task(self._run(), name=f"mqtt {self.topics.serial}")

    async def wait_online(self) -> None:
        """Until connected and subscribed (again, after an outage)."""
        await self._online.wait()

    async def close(self) -> None:
        """Say ``offline`` (retained), disconnect (no last will) and stop."""
        client = self.client
        if client is not None and self.state is LinkState.ONLINE:
            with contextlib.suppress(aiomqtt.MqttError):
                await self._publish_pushes(client)  # after the one in flight: none twice
                await self._stop_publisher()
                await client.publish(self.topics.status, OFFLINE, qos=QOS, retain=True)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.client = None
        self._move(LinkState.STOPPED)

    def _move(self, state: LinkState) -> None:
        if state is self.state:
            return
        if state not in _TRANSITIONS[self.state]:
            raise RuntimeError(f"MQTT link: {self.state.value} -> {state.value} is not a move")
        log.debug("MQTT link %s -> %s", self.state.value, state.value)
        self.state = state
        if state is LinkState.ONLINE:
            self._online.set()
        else:
            self._online.clear()

    async def _run(self) -> None:
        delays = self.backoff.delays()
        while True:
            self._move(LinkState.CONNECTING)
            try:
                await self._serve_connection()
            except aiomqtt.MqttError as error:  # the message stream ends only this way
                log.warning("MQTT broker %s: %s", self.address, error)
            if self.state is LinkState.ONLINE:
                delays = self.backoff.delays()  # it worked: start the back-off afresh
            self.client = None
            self._move(LinkState.BACKING_OFF)
            await asyncio.sleep(next(delays))

    async def _serve_connection(self) -> None:
        will = aiomqtt.Will(self.topics.status, OFFLINE, qos=QOS, retain=True)
        client = mqtt_client(
            self.address,
            identifier=f"vmeter-meter-{self.topics.serial}",
            clean_session=False,
            will=will,
        )
        async with client:
            self.client = client
            # Requests queued in the persistent session may arrive before this returns:
            # aiomqtt queues them until the loop below reads them.
            await client.subscribe(self.topics.requests, qos=QOS)
            await client.publish(self.topics.status, ONLINE, qos=QOS, retain=True)
            self.connections += 1
            self._move(LinkState.ONLINE)
            log.info("MQTT: meter %s online on %s", self.topics.serial, self.address)
            if self.pushes is not None:
                self._publisher = asyncio.create_task(self._keep_publishing(client))
            try:
                async for message in client.messages:
                    await self._serve(client, message)
            finally:
                await self._stop_publisher()

    async def _keep_publishing(self, client: aiomqtt.Client) -> None:
        while True:
            self._push_waiting.clear()
            try:
                await self._publish_pushes(client)
            except aiomqtt.MqttError as error:  # kept: sent after the reconnection
                log.info("push not sent (%s): %d waiting", error, len(self.pushes or ()))
                return
            await self._push_waiting.wait()

    async def _publish_pushes(self, client: aiomqtt.Client) -> None:
        """Every queued push, oldest first; each leaves the queue once the broker has it."""
        queue = self.pushes
        async with self._publishing:
            while queue is not None and (message := queue.oldest()) is not None:
                await client.publish(self.topics.push, message, qos=QOS)
                if queue.oldest() is message:  # not dropped meanwhile by a full queue
                    queue.sent()

    async def _stop_publisher(self) -> None:
        if self._publisher is not None:
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
            self._publisher = None

    async def _serve(self, client: aiomqtt.Client, message: aiomqtt.Message) -> None:
        topic = message.topic.value
        try:
            client_id, request_id = self.topics.parse_request(topic)
        except ValueError:
            log.info("ignoring MQTT message on %s", topic)
            return
        try:
            answer = self.requests.answer(client_id, request_id, message.payload)
        except Exception:  # the meter keeps serving whatever one request does
            log.exception("DLMS request on %s failed", topic)
            answer = encode_wrapper(self.requests.device.server_sap, 0, _UNREADABLE.to_bytes())
        if answer is not None:
            await client.publish(self.topics.response(client_id, request_id), answer, qos=QOS)


# -- vmeter run --mqtt -------------------------------------------------------------------------


async def run_with_mqtt(
    runtime: VirtualMeter,
    config: MeterConfig,
    target: str,
    trace: Tracer | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Run the meter with the MQTT communication module (and the TCP service when the
    configuration has one) on the same loop until the meter's run ends or is cancelled;
    ``target`` is ``embedded[:PORT]`` or a broker URL."""
    where = parse_mqtt_target(target)
    broker = EmbeddedBroker(where.port) if isinstance(where, EmbeddedTarget) else None
    if broker is not None:
        await broker.start()
        if announce is not None:
            announce(f"embedded MQTT broker on mqtt://{broker.host}:{broker.port}")
    address = broker.address if broker is not None else where
    assert isinstance(address, BrokerAddress)
    device = build_logical_device(runtime, config)
    service = MqttService(
        device,
        runtime.serial,
        address,
        trace=trace,
        pushes=push_queue(runtime),
    )
    await service.start()
    if announce is not None:
        announce(f"MQTT: meter {service.topics.serial} via {address} ({service.topics.root}/...)")
    try:
        tcp = config.communication.tcp
        if tcp is None:
            await runtime.run()
        else:
            await run_with_tcp(runtime, config, tcp, trace, announce)
    finally:
        for pushes in started_pushes(runtime):
            pushes.power_down()  # the meter has shut down: its last push, before offline
        await service.close()
        if broker is not None:
            await broker.close()


async def run_cli(
    runtime: VirtualMeter, config: MeterConfig, target: str, trace: Tracer | None
) -> None:
    """``vmeter run --mqtt``. Raises ConfigError for a bad target."""
    try:
        parse_mqtt_target(target)
        MeterTopics(runtime.serial)
    except ValueError as error:
        raise ConfigError(f"--mqtt: {error}") from error
    await run_with_mqtt(runtime, config, target, trace, on_stderr)
