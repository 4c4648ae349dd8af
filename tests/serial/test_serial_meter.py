"""The virtual meter on a pty pair, read through its optical port: our probe (62056-21 mode E,
then our HDLC client and xDLMS client), gurux-dlms doing HDLC after our handshake, and a mode
C readout parsed by pwitab's iec62056-21 library."""

import asyncio
from typing import TYPE_CHECKING

import pytest
from gurux_dlms import GXDLMSClient, GXReplyData
from gurux_dlms.enums import Authentication, InterfaceType
from gurux_dlms.objects import GXDLMSRegister
from iec62056_21 import messages as reference

from cosem.apdu import AttributeDescriptor
from cosem.hdlc import ServerAddress
from cosem.iec62056_21 import ClientSession, OptionSelect
from cosem.obis import Obis
from emulator.config import MeterConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.serial_service import HdlcSession, format_energy
from hal.optical import SIGN_ON_LINE, Framing, LineSettings, SerialOpticalPort
from headend.serial import (
    ProbeTarget,
    connect_serial,
    open_hdlc,
    read_mode_c,
    sign_on,
    start_mode_e,
)
from headend.session import NoAnswer, Session

if TYPE_CHECKING:
    from conftest import RunningMeter

ENERGY = ["1.8.1", "1.8.2", "2.8.1", "2.8.2"]
OBJECT_LIST = AttributeDescriptor(15, Obis.parse("0-0:40.0.0.255"), 2)


async def test_our_probe_reads_the_registers_and_the_object_list(meter: "RunningMeter") -> None:
    """rule E1: the four energy registers, read on the optical port, are the meter's."""
    target = ProbeTarget(meter.probe_path, server=ServerAddress(1, meter.physical, 2))
    transport = await connect_serial(target)
    assert transport.parameters.max_info_rx == 512  # our proposal, within the meter's 2030
    async with Session(transport) as session:
        values = [
            (await session.get(AttributeDescriptor(3, Obis.parse(code), 2))).value
            for code in ENERGY
        ]
        object_list = await session.get(OBJECT_LIST)
    assert values == list(meter.virtual.meter.registers)
    assert values[0] > 0
    names = {entry.items[2].value for entry in object_list.items}
    assert {Obis.parse(code).to_bytes() for code in ENERGY} <= names
    assert meter.service.sign_ons == 1


async def test_gurux_speaks_hdlc_after_our_mode_e_handshake(meter: "RunningMeter") -> None:
    port = SerialOpticalPort(meter.probe_path)
    gurux = GXDLMSClient(
        True,
        16,
        (1 << 14) | meter.physical,
        Authentication.NONE,
        None,
        InterfaceType.HDLC_WITH_MODE_E,
    )
    gurux.setServerAddressSize(4)
    gurux.hdlcSettings.maxInfoRX = gurux.hdlcSettings.maxInfoTX = 1024

    async def exchange(frames: list[bytes | bytearray]) -> GXReplyData:
        reply = GXReplyData()
        for frame in frames:
            await port.write(bytes(frame))
            await receive_into(gurux, port, reply)
        while reply.isMoreData():
            await port.write(bytes(gurux.receiverReady(reply)))
            await receive_into(gurux, port, reply)
        return reply

    try:
        identification = await start_mode_e(port, 9600)
        assert identification.hdlc
        gurux.parseUAResponse((await exchange([gurux.snrmRequest()])).data)
        gurux.parseAareResponse((await exchange(gurux.aarqRequest())).data)
        for code, expected in zip(ENERGY, meter.virtual.meter.registers, strict=True):
            register = GXDLMSRegister(f"1.0.{code}.255")
            reply = await exchange(gurux.read(register, 2))
            assert reply.value == expected  # rule E1
        objects = gurux.parseObjects((await exchange([gurux.getObjectsRequest()])).data, True)
        assert {f"1.0.{code}.255" for code in ENERGY} <= {o.logicalName for o in objects}
        await exchange([gurux.disconnectRequest()])
    finally:
        port.close()


async def receive_into(gurux: GXDLMSClient, port: SerialOpticalPort, reply: GXReplyData) -> None:
    data = b""
    while not gurux.getData(data, reply, GXReplyData()):
        chunk = await port.read(timeout=3)
        assert chunk, "the meter did not answer gurux"
        data += chunk


async def test_mode_c_readout_parsed_by_an_independent_parser(meter: "RunningMeter") -> None:
    port = SerialOpticalPort(meter.probe_path)
    try:
        session = ClientSession()
        await sign_on(port, session, "", timeout_s=3)
        session.select(OptionSelect.readout(9600))
        await port.write(session.data_to_send())
        await port.set_line(LineSettings(9600, Framing.SEVEN_E_ONE))
        raw = b""
        while b"\x03" not in raw[:-1]:
            chunk = await port.read(timeout=3)
            assert chunk, "no data readout"
            raw += chunk
    finally:
        port.close()
    parsed = reference.ReadoutDataMessage.from_bytes(raw)
    values = {
        d.address: (d.value, d.unit)
        for line in parsed.data_block.data_lines
        for d in line.data_sets
    }
    registers = meter.virtual.meter.registers.by_obis()
    for code in ENERGY:  # rule E1: display format 000021.701 kWh
        assert values[code] == (format_energy(registers[code]), "kWh")
    assert set(values) >= {"0.9.1", "0.9.2"}


async def test_mode_c_readout_through_the_probe_then_mode_e_again(meter: "RunningMeter") -> None:
    port = SerialOpticalPort(meter.probe_path)
    try:
        identification, data_sets = await read_mode_c(port, 4800)
        assert identification.manufacturer == "VMT"
        assert [d.address for d in data_sets[:4]] == ENERGY
        await asyncio.sleep(0.1)  # the meter returns to 300 baud after the readout
        transport = await open_hdlc(port, ProbeTarget(meter.probe_path, server=ServerAddress(1)))
        await transport.close()
    finally:
        port.close()
    assert meter.service.sign_ons == 2


async def test_silent_meter_gives_a_clear_error(meter: "RunningMeter") -> None:
    """A sign-on nobody answers (here: another meter's address): the probe says so."""
    port = SerialOpticalPort(meter.probe_path)
    try:
        await port.set_line(SIGN_ON_LINE)
        with pytest.raises(NoAnswer, match="no answer to the sign-on at 300 baud"):
            await sign_on(port, ClientSession(), "99999999", timeout_s=0.3)
    finally:
        port.close()


async def test_no_mode_e_for_a_port_that_speaks_hdlc_at_once(
    socat_pair: tuple[str, str], virtual_meter: VirtualMeter
) -> None:
    """`--no-mode-e`: no sign-on, HDLC from the first byte at --baud 8N1."""
    meter_path, probe_path = socat_pair
    meter_port = SerialOpticalPort(meter_path)
    await meter_port.set_line(LineSettings(9600, Framing.EIGHT_N_ONE))
    hdlc = HdlcSession(build_logical_device(virtual_meter, MeterConfig()))
    serving = asyncio.create_task(hdlc.run(meter_port))
    try:
        transport = await connect_serial(ProbeTarget(probe_path, mode_e=False))
        async with Session(transport) as session:
            value = await session.get(AttributeDescriptor(3, Obis.parse("2.8.1"), 2))
        assert value.value == virtual_meter.meter.registers.export_peak
        await asyncio.wait_for(serving, 5)  # the DISC ended the session
    finally:
        serving.cancel()
        meter_port.close()
