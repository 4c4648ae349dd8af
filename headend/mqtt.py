"""DLMS over MQTT: the topic layout shared by meter and head-end, broker URLs, and the
head-end's ``MqttTransport`` (an ``ApduTransport``, sibling of ``headend.tcp``).

Topics (MQTT 3.1.1, QoS 1; ``<serial>`` is the meter's serial number):
- ``vmeter/<serial>/dlms/request/<client-id>/<request-id>``: head-end -> meter, the payload a
  wrapper-framed xDLMS APDU (IEC 62056-47 header, wPorts = SAPs, exactly as over TCP);
- ``vmeter/<serial>/dlms/response/<client-id>/<request-id>``: the meter's answer, same framing;
- ``vmeter/<serial>/status``: ``online`` / ``offline``, retained, ``offline`` as last will;
- ``vmeter/<serial>/push``: event pushes (to come).

``<client-id>`` names one head-end: the meter keeps one association per client-id (and client
SAP), so two head-ends never see each other's replies. ``<request-id>`` is the dedupe key:
the head-end picks a fresh one per request (a random prefix per transport, then a counter).
It lives in the topic because MQTT 3.1.1 has no message properties, because the packet id
is not a key (each hop renumbers, a re-publish by the head-end gets a new one, aiomqtt does
not expose the DUP flag) and because the payload must stay a plain wrapper frame. A QoS 1
redelivery repeats topic and payload, so the meter answers a (client-id, request-id,
payload) it has already answered from its cache of recent responses, without executing it
again. The response topic echoes the request id, so a late answer to a request that timed
out is never taken for the answer to the next one. The short form without ``<request-id>``
(handy with mosquitto_pub) is served too, without dedupe, answered on
``.../response/<client-id>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import aiomqtt

from cosem.errors import DecodeError
from cosem.trace import Tracer, format_frame
from cosem.wrapper import HEADER, WRAPPER_VERSION, WrapperFrame, encode_wrapper
from headend.session import DEFAULT_TIMEOUT_S, ApduTransport, NoAnswer

PUBLIC_CLIENT = 16
MANAGEMENT_LOGICAL_DEVICE = 1
MQTT_PORT = 1883
MQTTS_PORT = 8883
QOS = 1
ONLINE = b"online"
OFFLINE = b"offline"
NODELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)
"""paho does not set TCP_NODELAY: without it a QoS 1 round trip takes 44-88 ms (TOOLING)."""
_TOPIC_FORBIDDEN = frozenset("/+#\0")


class MeterOffline(NoAnswer):
    """The meter's retained status is ``offline`` or absent: it is not listening."""


# -- topics ------------------------------------------------------------------------------------


def check_topic_level(name: str, what: str) -> str:
    """``name`` as one MQTT topic level; ValueError if empty or with ``/ + #``."""
    if not name or _TOPIC_FORBIDDEN & set(name):
        raise ValueError(f"{what} {name!r} cannot be an MQTT topic level (empty, / + or #)")
    return name


@dataclass(frozen=True, slots=True)
class MeterTopics:
    """The topics of one meter, ``vmeter/<serial>/...``."""

    serial: str

    def __post_init__(self) -> None:
        check_topic_level(self.serial, "serial number")

    @property
    def root(self) -> str:
        return f"vmeter/{self.serial}"

    @property
    def status(self) -> str:
        return f"{self.root}/status"

    @property
    def push(self) -> str:
        return f"{self.root}/push"

    @property
    def requests(self) -> str:
        """The subscription matching every request, short form or with a request id."""
        return f"{self.root}/dlms/request/#"

    def request(self, client_id: str, request_id: str | None = None) -> str:
        return _with_id(f"{self.root}/dlms/request/{client_id}", request_id)

    def response(self, client_id: str, request_id: str | None = None) -> str:
        return _with_id(f"{self.root}/dlms/response/{client_id}", request_id)

    def responses(self, client_id: str) -> str:
        """The subscription of one head-end: its answers, whatever the request id."""
        return f"{self.root}/dlms/response/{client_id}/+"

    def parse_request(self, topic: str) -> tuple[str, str | None]:
        """``(client-id, request-id or None)`` of a request topic; ValueError otherwise."""
        prefix = f"{self.root}/dlms/request/"
        levels = topic.removeprefix(prefix).split("/") if topic.startswith(prefix) else []
        if not 1 <= len(levels) <= 2 or not all(levels):
            raise ValueError(f"not a request topic: {topic!r}")
        return levels[0], levels[1] if len(levels) == 2 else None


def _with_id(topic: str, request_id: str | None) -> str:
    return topic if request_id is None else f"{topic}/{request_id}"


# -- broker addresses --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """Where the broker is: ``mqtt://[user[:password]@]host[:port]``, or ``mqtts://...`` with
    ``?ca=FILE`` for a private certificate authority (default: the system's)."""

    host: str
    port: int = MQTT_PORT
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: Path | None = None

    def __str__(self) -> str:
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


def parse_broker_url(text: str) -> BrokerAddress:
    """``mqtt://user:pass@host:port`` or ``mqtts://host:port?ca=FILE`` -> ``BrokerAddress``;
    ValueError with what is wrong otherwise."""
    example = "like mqtt://127.0.0.1:1883 or mqtts://user:pass@host:8883?ca=ca.pem"
    try:
        url = urlsplit(text)
        port = url.port
    except ValueError as error:
        raise ValueError(f"bad broker URL {text!r} ({error}); expected {example}") from None
    if url.scheme not in ("mqtt", "mqtts") or not url.hostname:
        raise ValueError(f"bad broker URL {text!r}: expected {example}")
    if url.path not in ("", "/") or url.fragment:
        raise ValueError(f"bad broker URL {text!r}: no path expected ({example})")
    tls = url.scheme == "mqtts"
    query = parse_qs(url.query, keep_blank_values=True)
    unknown = set(query) - {"ca"}
    if unknown or len(query.get("ca", [])) > 1 or (query and not tls):
        raise ValueError(f"bad broker URL {text!r}: only mqtts:// takes one option, ?ca=FILE")
    ca = query.get("ca", [None])[0]
    return BrokerAddress(
        host=url.hostname,
        port=port if port is not None else MQTTS_PORT if tls else MQTT_PORT,
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password is not None else None,
        tls=tls,
        ca_file=Path(ca) if ca else None,
    )


def mqtt_client(
    address: BrokerAddress,
    *,
    identifier: str,
    clean_session: bool,
    will: aiomqtt.Will | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> aiomqtt.Client:
    """An MQTT 3.1.1 client (amqtt serves it too) with TCP_NODELAY; enter it to connect."""
    tls = None
    if address.tls:
        ca = str(address.ca_file) if address.ca_file else None
        tls = aiomqtt.TLSParameters(ca_certs=ca)
    return aiomqtt.Client(
        address.host,
        address.port,
        username=address.username,
        password=address.password,
        identifier=identifier,
        protocol=aiomqtt.ProtocolVersion.V311,
        clean_session=clean_session,
        will=will,
        timeout=timeout_s,
        tls_params=tls,
        socket_options=NODELAY,
    )


def unwrap_frame(payload: bytes) -> WrapperFrame:
    """One whole wrapper frame (an MQTT message carries exactly one); DecodeError otherwise."""
    if len(payload) < HEADER.size:
        raise DecodeError(f"{len(payload)} bytes: shorter than a wrapper header")
    version, source, dest, length = HEADER.unpack_from(payload)
    if version != WRAPPER_VERSION:
        raise DecodeError(f"wrapper version {version}, expected {WRAPPER_VERSION}")
    if length != len(payload) - HEADER.size:
        raise DecodeError(f"wrapper length {length}, but {len(payload) - HEADER.size} follow")
    return WrapperFrame(source, dest, payload[HEADER.size :])


# -- the head-end's transport ------------------------------------------------------------------


class MqttTransport(ApduTransport):
    """Carries the APDUs of one head-end (``client_id``) to one meter through a broker.

    ``connect`` checks the meter's retained status first: absent or ``offline`` raises
    ``MeterOffline``; an ``offline`` arriving while waiting for an answer does too."""

    def __init__(
        self,
        client: aiomqtt.Client,
        exit_stack: contextlib.AsyncExitStack,
        topics: MeterTopics,
        client_id: str,
        *,
        client_sap: int = PUBLIC_CLIENT,
        server_sap: int = MANAGEMENT_LOGICAL_DEVICE,
        trace: Tracer | None = None,
    ) -> None:
        self._client = client
        self._exit_stack = exit_stack
        self.topics = topics
        self.client_id = check_topic_level(client_id, "client id")
        self.client_sap = client_sap
        self.server_sap = server_sap
        self._trace = trace
        self._prefix = secrets.token_hex(4)
        self._counter = itertools.count(1)
        self._awaited: str | None = None
        self._response_prefix = topics.response(client_id) + "/"

    @classmethod
    async def connect(
        cls,
        address: BrokerAddress,
        serial: str,
        *,
        client_id: str | None = None,
        client_sap: int = PUBLIC_CLIENT,
        server_sap: int = MANAGEMENT_LOGICAL_DEVICE,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        trace: Tracer | None = None,
    ) -> MqttTransport:
        """Connect, subscribe to the meter's status and to our answers, check the meter is
        online. ``client_id`` defaults to a random ``headend-XXXXXXXX``."""
        topics = MeterTopics(serial)
        client_id = client_id or f"headend-{secrets.token_hex(4)}"
        check_topic_level(client_id, "client id")
        # Clean session: a head-end session is short, nothing to resume after a crash.
        client = mqtt_client(
            address, identifier=f"vmeter-{client_id}", clean_session=True, timeout_s=timeout_s
        )
        stack = contextlib.AsyncExitStack()
        try:
            await asyncio.wait_for(stack.enter_async_context(client), timeout_s)
        except (aiomqtt.MqttError, OSError, TimeoutError) as error:
            await stack.aclose()
            raise NoAnswer(f"cannot connect to the broker {address}: {error}") from None
        transport = cls(
            client,
            stack,
            topics,
            client_id,
            client_sap=client_sap,
            server_sap=server_sap,
            trace=trace,
        )
        try:
            await client.subscribe([(topics.status, QOS), (topics.responses(client_id), QOS)])
            await asyncio.wait_for(transport._await_online(), timeout_s)
        except TimeoutError:
            await transport.close()
            raise MeterOffline(
                f"meter {serial} unknown on {address}: no status within {timeout_s:g} s"
            ) from None
        except BaseException:
            await transport.close()
            raise
        return transport

    async def send(self, apdu: bytes) -> None:
        frame = encode_wrapper(self.client_sap, self.server_sap, apdu)
        self._awaited = f"{self._prefix}-{next(self._counter)}"
        if self._trace is not None:
            self._trace(format_frame(f"C{self.client_sap}->S{self.server_sap}", frame, apdu))
        try:
            await self._client.publish(
                self.topics.request(self.client_id, self._awaited), frame, qos=QOS
            )
        except aiomqtt.MqttError as error:
            raise NoAnswer(f"broker connection lost while sending: {error}") from None

    async def receive(self, timeout_s: float) -> bytes:
        """One message carries one whole APDU: a wait for it is a wait on the meter's silence."""
        try:
            async with asyncio.timeout(timeout_s):
                return await self._answer()
        except TimeoutError:
            raise NoAnswer(f"no answer from the meter within {timeout_s:g} s") from None

    async def _answer(self) -> bytes:
        while True:
            message = await self._next_message()
            topic = message.topic.value
            if topic == self.topics.status:
                self._check_online(message.payload)
                continue
            request_id = topic.removeprefix(self._response_prefix)
            if request_id != self._awaited:
                continue  # a late answer to a request that timed out
            try:
                frame = unwrap_frame(message.payload)
            except DecodeError as error:
                raise NoAnswer(f"broken wrapper frame from the meter: {error}") from None
            if frame.source_wport != self.server_sap or frame.dest_wport != self.client_sap:
                continue
            if self._trace is not None:
                direction = f"S{frame.source_wport}->C{frame.dest_wport}"
                self._trace(format_frame(direction, message.payload, frame.apdu))
            self._awaited = None
            return frame.apdu

    async def close(self) -> None:
        with contextlib.suppress(aiomqtt.MqttError, OSError):
            await self._exit_stack.aclose()

    async def _await_online(self) -> None:
        while True:
            message = await self._next_message()
            if message.topic.value == self.topics.status:
                self._check_online(message.payload)
                return

    def _check_online(self, payload: bytes) -> None:
        if payload != ONLINE:
            raise MeterOffline(f"meter {self.topics.serial} is offline (status {payload!r})")

    async def _next_message(self) -> aiomqtt.Message:
        try:
            return await anext(self._client.messages)
        except aiomqtt.MqttError as error:
            raise NoAnswer(f"broker connection lost: {error}") from None
