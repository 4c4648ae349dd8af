"""HDLC over TCP (`vmeter run --tcp-hdlc`): our client and gurux-dlms on a loopback port."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from gurux_dlms import GXDLMSClient, GXReplyData
from gurux_dlms.enums import Authentication, InterfaceType
from gurux_dlms.objects import GXDLMSRegister

from cosem.apdu import AttributeDescriptor
from cosem.hdlc import PUBLIC_CLIENT, ServerAddress
from cosem.obis import Obis
from emulator.config import MeterConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.serial_service import HdlcSession, HdlcSettings, serve_hdlc_tcp
from headend.hdlc_transport import HdlcTransport
from headend.session import Session


@pytest.fixture
async def hdlc_server(virtual_meter: VirtualMeter) -> AsyncIterator[tuple[str, int]]:
    device = build_logical_device(virtual_meter, MeterConfig())
    session = HdlcSession(device, HdlcSettings(address=ServerAddress.of(1, 17)))
    server = await serve_hdlc_tcp(session, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    try:
        yield host, port
    finally:
        server.close()
        await server.wait_closed()


async def test_our_client_reads_energy_over_hdlc_on_tcp(
    hdlc_server: tuple[str, int], virtual_meter: VirtualMeter
) -> None:
    """rule E1 over HDLC/TCP."""
    host, port = hdlc_server
    transport = await HdlcTransport.connect_tcp(host, port, ServerAddress(1), PUBLIC_CLIENT)
    async with Session(transport) as session:
        value = await session.get(AttributeDescriptor(3, Obis.parse("1.8.1"), 2))
    assert value.value == virtual_meter.meter.registers.import_peak


async def test_gurux_reads_energy_over_hdlc_on_tcp(
    hdlc_server: tuple[str, int], virtual_meter: VirtualMeter
) -> None:
    reader, writer = await asyncio.open_connection(*hdlc_server)
    gurux = GXDLMSClient(True, 16, 1, Authentication.NONE, None, InterfaceType.HDLC)

    async def exchange(frames: list[bytes | bytearray]) -> GXReplyData:
        reply = GXReplyData()
        for frame in frames:
            writer.write(bytes(frame))
            data = b""
            while not gurux.getData(data, reply, GXReplyData()):
                data += await asyncio.wait_for(reader.read(4096), 3)
        return reply

    try:
        gurux.parseUAResponse((await exchange([gurux.snrmRequest()])).data)
        gurux.parseAareResponse((await exchange(gurux.aarqRequest())).data)
        reply = await exchange(gurux.read(GXDLMSRegister("1.0.1.8.2.255"), 2))
        assert reply.value == virtual_meter.meter.registers.import_offpeak
        await exchange([gurux.disconnectRequest()])
    finally:
        writer.close()
        await writer.wait_closed()


async def test_the_meter_traces_its_hdlc_frames_with_their_apdus(
    virtual_meter: VirtualMeter,
) -> None:
    """`vmeter run --serial/--tcp-hdlc --trace`: link frames in hex, APDUs decoded."""
    lines: list[str] = []
    device = build_logical_device(virtual_meter, MeterConfig())
    session = HdlcSession(device, HdlcSettings(address=ServerAddress.of(1, 17)), trace=lines.append)
    server = await serve_hdlc_tcp(session, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    try:
        transport = await HdlcTransport.connect_tcp(host, port, ServerAddress(1), PUBLIC_CLIENT)
        async with Session(transport, timeout_s=5) as client:
            await client.get(AttributeDescriptor(3, Obis.parse("1.8.1"), 2))
    finally:
        server.close()
        await server.wait_closed()
    text = "\n".join(lines)
    assert "C16->S1 7e a0" in text  # the SNRM, in hex
    assert "GetRequestNormal" in text and "GetResponseNormal" in text
    assert text.index("GetRequestNormal") < text.index("GetResponseNormal")
