"""The probe: a reader on the meter's optical port. IEC 62056-21 sign-on at 300 baud 7E1, then
either a mode C data readout or the mode E switch to 8N1 and an `HdlcTransport` for APDUs."""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass

from cosem.hdlc import (
    MANAGEMENT_LOGICAL_DEVICE,
    PUBLIC_CLIENT,
    ClientAddress,
    HdlcError,
    LinkParameters,
    ServerAddress,
)
from cosem.iec62056_21 import (
    ClientSession,
    DataSet,
    Identification,
    Identified,
    Iec21Error,
    OptionSelect,
    ReadoutReceived,
)
from cosem.trace import Tracer
from hal.optical import SIGN_ON_LINE, Framing, LineSettings, OpticalPort, open_optical_port
from headend.hdlc_transport import CLIENT_LIMITS, HdlcTransport
from headend.session import DEFAULT_TIMEOUT_S, NoAnswer

# Gurux waits ~200 ms after the option select before the line switch: the meter needs the
# time to read the ACK at 300 baud and change its UART (COSEM-FACTS 6).
HANDOVER_DELAY = 0.2


@dataclass(frozen=True)
class ProbeTarget:
    """Where and how to reach a meter's optical port."""

    device: str
    mode_e: bool = True
    baud: int = 9600
    device_address: str = ""
    server: ServerAddress = MANAGEMENT_LOGICAL_DEVICE
    client: ClientAddress = PUBLIC_CLIENT
    timeout_s: float = DEFAULT_TIMEOUT_S
    limits: LinkParameters = CLIENT_LIMITS


async def sign_on(
    port: OpticalPort, session: ClientSession, device_address: str, timeout_s: float
) -> Identification:
    """Send `/?!` at 300 baud 7E1 and read the identification."""
    await port.set_line(SIGN_ON_LINE)
    session.sign_on(device_address)
    await port.write(session.data_to_send())
    event = await _next_event(port, session, timeout_s, "no answer to the sign-on at 300 baud 7E1")
    if not isinstance(event, Identified):
        raise Iec21Error(f"expected an identification, got {event}")
    return event.identification


async def start_mode_e(
    port: OpticalPort, baud: int, *, device_address: str = "", timeout_s: float = DEFAULT_TIMEOUT_S
) -> Identification:
    """Sign on, ask for HDLC at `baud` (at most the meter's), switch the line to 8N1."""
    session = ClientSession()
    identification = await sign_on(port, session, device_address, timeout_s)
    if not identification.hdlc:
        raise Iec21Error(f"the meter {identification.identifier!r} does not offer HDLC (mode E)")
    baud = min(baud, identification.max_baud)
    session.select(OptionSelect.mode_e(baud))
    await port.write(session.data_to_send())
    await asyncio.sleep(HANDOVER_DELAY)
    await port.set_line(LineSettings(baud, Framing.EIGHT_N_ONE))
    await asyncio.sleep(HANDOVER_DELAY)
    return identification


async def read_mode_c(
    port: OpticalPort, baud: int, *, device_address: str = "", timeout_s: float = DEFAULT_TIMEOUT_S
) -> tuple[Identification, list[DataSet]]:
    """Sign on and take a mode C data readout at `baud` (at most the meter's)."""
    session = ClientSession()
    identification = await sign_on(port, session, device_address, timeout_s)
    baud = min(baud, identification.max_baud)
    session.select(OptionSelect.readout(baud))
    await port.write(session.data_to_send())
    await port.set_line(LineSettings(baud, Framing.SEVEN_E_ONE))
    event = await _next_event(port, session, timeout_s, f"no data readout at {baud} baud")
    if not isinstance(event, ReadoutReceived):
        raise Iec21Error(f"expected a data readout, got {event}")
    return identification, event.data_sets


async def open_hdlc(
    port: OpticalPort, target: ProbeTarget, trace: Tracer | None = None
) -> HdlcTransport:
    """Mode E handshake (unless the port speaks HDLC directly), then SNRM/UA."""
    if target.mode_e:
        await start_mode_e(
            port, target.baud, device_address=target.device_address, timeout_s=target.timeout_s
        )
    else:
        await port.set_line(LineSettings(target.baud, Framing.EIGHT_N_ONE))
    transport = HdlcTransport(
        port,
        target.server,
        target.client,
        limits=target.limits,
        timeout_s=target.timeout_s,
        trace=trace,
    )
    await transport.open()
    return transport


async def connect_serial(target: ProbeTarget, trace: Tracer | None = None) -> HdlcTransport:
    """Open the device, do the handshake and SNRM; the transport owns (and closes) the port."""
    port = open_optical_port(target.device)
    try:
        return await open_hdlc(port, target, trace)
    except BaseException:
        port.close()
        raise


async def _next_event(
    port: OpticalPort, session: ClientSession, timeout_s: float, silence: str
) -> Identified | ReadoutReceived:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while (event := session.next_event()) is None:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise NoAnswer(f"{silence} within {timeout_s:g} s")
        data = await port.read(timeout=remaining)
        if data:
            session.receive_data(data)
    return event


# --- command line (`vmeter headend --serial ...`) ----------------------------------------


def add_serial_arguments(
    parser: argparse.ArgumentParser, target: argparse._MutuallyExclusiveGroup
) -> None:
    """The optical-port target and its options, beside the other targets in `target`."""
    target.add_argument(
        "--serial", metavar="DEVICE", help="meter's optical port (IEC 62056-21 sign-on, HDLC)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--mode-e",
        dest="mode_e",
        action="store_true",
        default=True,
        help="sign on at 300 baud 7E1 and switch to HDLC (default)",
    )
    mode.add_argument(
        "--no-mode-e",
        dest="mode_e",
        action="store_false",
        help="the port speaks HDLC from the start (at --baud, 8N1)",
    )
    parser.add_argument("--baud", type=int, default=9600, help="HDLC/readout baud rate")
    parser.add_argument(
        "--physical", type=int, help="HDLC physical address (lower address) of the meter"
    )


def probe_target(args: argparse.Namespace, client_sap: int) -> ProbeTarget:
    """The target the command line names (`--serial` and its options)."""
    logical = args.server
    if args.physical is None:
        server = ServerAddress(logical)
    else:
        try:
            server = ServerAddress.of(logical, args.physical)
        except HdlcError as error:
            raise ValueError(f"--physical {args.physical}: {error}") from None
    return ProbeTarget(
        args.serial,
        mode_e=args.mode_e,
        baud=args.baud,
        server=server,
        client=ClientAddress(client_sap),
        timeout_s=args.timeout,
    )


async def readout_lines(args: argparse.Namespace) -> list[str]:
    """The `readout` verb: a mode C data readout, one `address value unit` line per data set."""
    if args.serial is None:
        raise ValueError("readout is a mode C readout of the optical port: give --serial DEVICE")
    port = open_optical_port(args.serial)
    try:
        identification, data_sets = await read_mode_c(port, args.baud, timeout_s=args.timeout)
    finally:
        port.close()
    if args.json:
        rows = [{"address": d.address, "value": d.value, "unit": d.unit} for d in data_sets]
        return [json.dumps({"identification": identification.identifier, "data": rows})]
    return [f"{d.address} {d.value} {d.unit}".rstrip() for d in data_sets]
