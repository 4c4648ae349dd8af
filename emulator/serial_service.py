"""The meter's optical port and HDLC-over-TCP services.

On the optical port the meter waits at 300 baud 7E1 for an IEC 62056-21 sign-on, identifies
itself as HDLC-capable, then either sends a mode C data readout or (mode E) switches to the
agreed rate in 8N1 and speaks HDLC, carrying APDUs to a COSEM server association. When the
HDLC link ends (DISC, inactivity) it returns to 300 baud. Over TCP (`--tcp-hdlc`) each
connection is an HDLC link straight away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from cosem.hdlc import LinkParameters, ServerAddress
from cosem.hdlc_link import (
    ApduReceived,
    Connected,
    Disconnected,
    FrameRejected,
    HdlcLink,
    LinkState,
    Role,
)
from cosem.iec62056_21 import (
    DataSet,
    HdlcRequested,
    Identification,
    MeterSession,
    OptionRefused,
    ReadoutRequested,
    SignOn,
)
from cosem.trace import Tracer, format_frame
from emulator.config import ConfigError, MeterConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.tcp_service import parse_endpoint
from firmware.central_balance import BalanceUpdate
from firmware.gas.volume import format_m3
from firmware.registers import RegisterValues
from firmware.rules.localtime import to_local
from firmware.settings import PrepaymentMode
from hal.optical import (
    SIGN_ON_LINE,
    Framing,
    LineSettings,
    OpticalPort,
    OpticalPortError,
    open_optical_port,
)
from headend.hdlc_transport import BytePipe, StreamPipe

log = logging.getLogger(__name__)

POLL_INTERVAL = 1.0  # seconds between checks of the timeouts while the line is quiet
REACTION_TIME = 0.2  # IEC 62056-21 tr: the meter's pause before answering at a new rate
DEFAULT_IDENTIFICATION = Identification("VMT", 9600, "VMETER")
DEFAULT_METER_ADDRESS = ServerAddress.of(1, 17)
METER_LIMITS = LinkParameters(max_info_tx=2030, max_info_rx=2030, window_tx=1, window_rx=1)


class ApduHandler(Protocol):
    def handle(self, apdu: bytes) -> bytes | None: ...


class AssociationFactory(Protocol):
    """What the COSEM server offers a transport (`cosem.server.LogicalDevice` is one)."""

    def association(self, client_sap: int) -> ApduHandler: ...


@dataclass(frozen=True)
class HdlcSettings:
    """The meter's HDLC identity and limits (from the configuration)."""

    address: ServerAddress = DEFAULT_METER_ADDRESS
    limits: LinkParameters = METER_LIMITS
    inactivity_timeout: float = 120.0
    handover_timeout: float = 5.0  # no SNRM this long after the mode E switch: back to sign-on


def format_energy(wh: int) -> str:
    """Wh as the display shows kWh: `000021.701` (rule E1: 6 integer digits, 3 decimals)."""
    return f"{wh // 1000:06d}.{wh % 1000:03d}"


def meter_readout(registers_wh: RegisterValues, local_time: datetime) -> list[DataSet]:
    """Mode C data sets: the four energy registers (rule E1), then time and date."""
    data_sets = [
        DataSet(code, format_energy(value), "kWh") for code, value in registers_wh.by_obis().items()
    ]
    data_sets.append(DataSet("0.9.1", local_time.strftime("%H%M%S")))
    data_sets.append(DataSet("0.9.2", local_time.strftime("%y%m%d")))
    return data_sets


def balance_readout(update: BalanceUpdate | None) -> list[DataSet]:
    """Mode C data sets of the prepayment items (rule E7), named as the LCD's code field:
    94.32.2.1 the last update, local time YYMMDDhhmmss; 94.32.2.2 the balance and 94.32.2.3
    the emergency credit left, EUR with two decimals. Before the first update the values are
    empty."""
    if update is None:
        return [DataSet(f"94.32.2.{item}", "") for item in (1, 2, 3)]
    return [
        DataSet("94.32.2.1", to_local(update.at).strftime("%y%m%d%H%M%S")),
        DataSet("94.32.2.2", update.balance.format(2), "EUR"),
        DataSet("94.32.2.3", update.emergency_credit.format(2), "EUR"),
    ]


def live_readout(runtime: VirtualMeter) -> list[DataSet]:
    """The mode C readout of a running meter: the registers (released: saved first), time
    and date, then the prepayment items when prepayment is active."""
    if runtime.kind == "gas":
        return gas_readout(runtime)
    meter = runtime.meter
    data_sets = meter_readout(meter.registers_for_release(), to_local(runtime.clock.now()))
    if meter.prepayment_active:
        data_sets += balance_readout(meter.prepayment_balance_for_release())
    return data_sets


def gas_readout(runtime: VirtualMeter) -> list[DataSet]:
    """The gas meter's mode C readout: the volume as on its LCD (24.2.1, m3, rule G1), time
    and date, then the prepayment items (rule G2)."""
    gas = runtime.gas
    assert gas is not None
    volume = DataSet("24.2.1", format_m3(gas.volume_for_release()), "m3")
    moment = to_local(runtime.clock.now())
    time_and_date = [DataSet("0.9.1", f"{moment:%H%M%S}"), DataSet("0.9.2", f"{moment:%y%m%d}")]
    if gas.settings.prepayment is PrepaymentMode.NONE:
        return [volume, *time_and_date]
    if gas.account is not None:
        gas.account_for_release()  # a read is a slice, as on the LCD
    return [volume, *time_and_date, *balance_readout(gas.prepayment_balance)]


@dataclass
class HdlcSession:
    """One HDLC conversation on a byte pipe, from SNRM to DISC or the inactivity timeout."""

    device: AssociationFactory
    settings: HdlcSettings = field(default_factory=HdlcSettings)
    monotonic: Callable[[], float] = time.monotonic
    trace: Tracer | None = None

    async def run(self, pipe: BytePipe, leftover: bytes = b"") -> None:
        settings = self.settings
        link = HdlcLink(
            Role.SERVER,
            settings.address,
            limits=settings.limits,
            inactivity_timeout=settings.inactivity_timeout,
            now=self.monotonic(),
        )
        associations: dict[int, ApduHandler] = {}
        data = leftover
        received = bytearray()  # the frames of the request being traced
        # Without a link (before the SNRM, or after a DISC) only the handover timeout applies.
        idle_since = self.monotonic()
        while True:
            now = self.monotonic()
            if data:
                link.receive_data(data, now)
                idle_since = now
                if self.trace is not None:
                    received += data
            link.check_timeout(now)
            finished, request, reply = self._serve_events(link, associations)
            outgoing = link.data_to_send()
            if self.trace is not None:
                self._trace(link, bytes(received), request, outgoing, reply)
                received.clear()
            if outgoing:
                await pipe.write(outgoing)
            if finished:
                return
            if (
                link.state is LinkState.DISCONNECTED
                and now - idle_since > settings.handover_timeout
            ):
                return
            data = await pipe.read(timeout=POLL_INTERVAL)

    def _serve_events(
        self, link: HdlcLink, associations: dict[int, ApduHandler]
    ) -> tuple[bool, bytes | None, bytes | None]:
        """Answer every pending event: (the link has ended, the last request, its reply)."""
        request = reply = None
        while (event := link.next_event()) is not None:
            if isinstance(event, Connected):
                associations.clear()  # a new link starts without an application association
                log.info("HDLC link up: %s", event.parameters)
            elif isinstance(event, ApduReceived) and link.expects_reply:
                sap = link.peer_client.sap if link.peer_client else 0
                if sap not in associations:
                    associations[sap] = self.device.association(sap)
                request, reply = event.apdu, associations[sap].handle(event.apdu)
                if reply is None:
                    link.receive_ready()
                else:
                    link.send_apdu(reply)
            elif isinstance(event, FrameRejected):
                log.warning("HDLC frame rejected: %s", event.reason)
            elif isinstance(event, Disconnected):
                log.info("HDLC link down: %s", event.reason)
                return True, request, reply
        return False, request, reply

    def _trace(
        self,
        link: HdlcLink,
        received: bytes,
        request: bytes | None,
        outgoing: bytes,
        reply: bytes | None,
    ) -> None:
        """Frames in and out: with their decoded APDU when they complete one (a long reply's
        first segment carries it), as bare hex otherwise (SNRM, RR, DISC, later segments)."""
        client = f"C{link.peer_client.sap}" if link.peer_client else "C?"
        server = f"S{self.settings.address.logical}"
        for direction, frames, apdu in (
            (f"{client}->{server}", received, request),
            (f"{server}->{client}", outgoing, reply),
        ):
            if frames and self.trace is not None:
                self.trace(
                    format_frame(direction, frames, apdu)
                    if apdu is not None
                    else f"{direction} {frames.hex(' ')}"
                )


@dataclass
class OpticalPortService:
    """The meter side of the optical port: IEC 62056-21 sign-on, mode C readout, mode E HDLC."""

    port: OpticalPort
    hdlc: HdlcSession
    readout: Callable[[], list[DataSet]]
    identification: Identification = DEFAULT_IDENTIFICATION
    device_address: str = ""
    sign_ons: int = field(default=0, init=False)

    async def serve_forever(self) -> None:
        while True:
            await self.serve_once()

    async def serve_once(self) -> None:
        """One session: from the 300-baud sign-on to the end of a readout or HDLC link."""
        port = self.port
        await port.set_line(SIGN_ON_LINE)
        session = MeterSession(self.identification, self.device_address)
        while True:
            data = await port.read(timeout=POLL_INTERVAL)
            if not data:
                continue
            session.receive_data(data)
            while (event := session.next_event()) is not None:
                if isinstance(event, SignOn):
                    self.sign_ons += 1
                    await port.write(session.data_to_send())
                elif isinstance(event, ReadoutRequested):
                    await port.set_line(LineSettings(event.baud, Framing.SEVEN_E_ONE))
                    await asyncio.sleep(REACTION_TIME)  # the reader switches its line too
                    session.send_readout(self.readout())
                    await port.write(session.data_to_send())
                    return
                elif isinstance(event, HdlcRequested):
                    await port.set_line(LineSettings(event.baud, Framing.EIGHT_N_ONE))
                    await self.hdlc.run(port, event.leftover)
                    return
                elif isinstance(event, OptionRefused):
                    log.info("option select refused: %s", event.reason)
                    await port.write(session.data_to_send())


async def serve_hdlc_tcp(hdlc: HdlcSession, host: str, port: int) -> asyncio.Server:
    """HDLC frames over TCP (no IEC 62056-21): one link per connection."""

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        pipe = StreamPipe(reader, writer)
        with contextlib.suppress(ConnectionError, OSError):
            while not pipe.at_eof:
                await hdlc.run(pipe)
        pipe.close()

    return await asyncio.start_server(connection, host, port)


def start_serial_services(
    runtime: VirtualMeter,
    config: MeterConfig,
    tcp_hdlc: str | None,
    announce: Callable[[str], None],
    trace: Tracer | None = None,
) -> None:
    """`vmeter run --serial DEVICE|pty` and `--tcp-hdlc HOST:PORT`: open the port now (a pty's
    path is announced), serve from the meter's first step until its run loop ends; ``trace``
    receives every HDLC frame (`--trace`, opened with `cosem.trace.open_trace`).

    Raises ConfigError for a device that cannot be opened or a bad endpoint."""
    communication = config.communication
    device = build_logical_device(runtime, config)
    hdlc = HdlcSession(
        device,
        HdlcSettings(address=ServerAddress.of(1, communication.hdlc_physical_address)),
        trace=trace,
    )
    services: list[Coroutine[None, None, None]] = []
    if communication.serial is not None:
        try:
            port = open_optical_port(communication.serial)
        except OpticalPortError as error:
            raise ConfigError(f"--serial: {error}") from error
        name = getattr(port, "device_path", communication.serial)
        announce(f"optical port (IEC 62056-21, mode C/E, HDLC) on {name}")
        service = OpticalPortService(
            port,
            hdlc,
            readout=lambda: live_readout(runtime),
            identification=Identification("VMT", 9600, runtime.serial[-16:]),
        )
        services.append(_serve_then_close(service.serve_forever(), port.close))
    if tcp_hdlc is not None:
        try:
            host, tcp_port = parse_endpoint(tcp_hdlc)
        except ValueError as error:
            raise ConfigError(f"--tcp-hdlc: {error}") from error
        services.append(_serve_hdlc_tcp_forever(hdlc, host, tcp_port, announce))

    def start() -> None:
        for coroutine in services:
            _background.add(asyncio.get_running_loop().create_task(coroutine))

    runtime.schedule(runtime.clock.now(), start)


_background: set[asyncio.Task[None]] = set()  # strong references to the running services


async def _serve_then_close(
    serving: Coroutine[None, None, None], close: Callable[[], None]
) -> None:
    try:
        await serving
    finally:
        close()


async def _serve_hdlc_tcp_forever(
    hdlc: HdlcSession, host: str, port: int, announce: Callable[[str], None]
) -> None:
    server = await serve_hdlc_tcp(hdlc, host, port)
    bound = server.sockets[0].getsockname()
    announce(f"HDLC over TCP on {bound[0]}:{bound[1]}")
    async with server:
        await server.serve_forever()
