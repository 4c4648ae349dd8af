"""Our head-end session against the real meter over the TCP wrapper (loopback, port 0)."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from served_tcp import START, ServedMeter

from cosem.apdu import AttributeDescriptor, DataAccessResult, MethodDescriptor
from cosem.axdr import Data
from cosem.client import AccessRefused, AssociationRejected
from cosem.datetime_codec import CosemDateTime
from cosem.obis import Obis
from cosem.wrapper import encode_wrapper
from headend.session import NoAnswer, Session
from headend.tcp import TcpWrapperTransport

IMPORT_PEAK = AttributeDescriptor(3, Obis.parse("1.8.1"), 2)
SCALER_UNIT = AttributeDescriptor(3, Obis.parse("1.8.1"), 3)
OBJECT_LIST = AttributeDescriptor(15, Obis.parse("0-0:40.0.0.255"), 2)
CLOCK_TIME = AttributeDescriptor(8, Obis.parse("0-0:1.0.0.255"), 2)
RELAY = Obis.parse("0-0:96.3.10.255")
OUTPUT_STATE = AttributeDescriptor(70, RELAY, 2)
CONTROL_STATE = AttributeDescriptor(70, RELAY, 3)
BRUSSELS = ZoneInfo("Europe/Brussels")
MANAGEMENT_PASSWORD = b"00000000"  # emulator/config.py's documented default


async def open_session(
    served: ServedMeter, client_sap: int = 16, password: bytes | None = None, max_pdu: int = 0xFFFF
) -> Session:
    transport = await TcpWrapperTransport.connect(
        "127.0.0.1", served.service.port, client_sap=client_sap, timeout_s=5
    )
    return Session(transport, password=password, timeout_s=5, max_receive_pdu_size=max_pdu)


async def test_reads_the_peak_import_register_with_its_unit(served: ServedMeter) -> None:
    served.advance_to(START + timedelta(hours=2))  # 500 W for 2 h at peak tariff
    async with await open_session(served) as session:
        value = await session.get(IMPORT_PEAK)
        scaler_unit = await session.get(SCALER_UNIT)
    assert value == Data.double_long_unsigned(1000)
    assert scaler_unit == Data.structure(Data.integer(0), Data.enum(30))  # Wh


async def test_lists_the_objects(served: ServedMeter) -> None:
    async with await open_session(served) as session:
        listed = await session.get(OBJECT_LIST)
    names = {Obis.from_bytes(entry.items[2].value) for entry in listed.items}  # type: ignore[arg-type]
    assert {Obis.parse("1.8.1"), RELAY, Obis.parse("0-0:1.0.0.255")} <= names


async def test_long_get_arrives_in_blocks_and_is_reassembled(served: ServedMeter) -> None:
    async with await open_session(served) as whole:
        expected = await whole.get(OBJECT_LIST)
    async with await open_session(served, max_pdu=128) as small:
        assert await small.get(OBJECT_LIST) == expected


async def test_get_with_list_mixes_values_and_refusals(served: ServedMeter) -> None:
    missing = AttributeDescriptor(3, Obis.parse("9.9.9"), 2)
    async with await open_session(served) as session:
        results = await session.get_with_list([SCALER_UNIT, missing])
    assert results == (
        Data.structure(Data.integer(0), Data.enum(30)),
        DataAccessResult.OBJECT_UNDEFINED,
    )


async def test_management_client_sets_the_clock(served: ServedMeter) -> None:
    moment = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    stamp = CosemDateTime.from_datetime(moment.astimezone(BRUSSELS))
    async with await open_session(served, 1, MANAGEMENT_PASSWORD) as session:
        await session.set(CLOCK_TIME, Data.octet_string(stamp.to_bytes()))
        read_back = await session.get(CLOCK_TIME)
    assert isinstance(read_back.value, bytes)
    assert CosemDateTime.from_bytes(read_back.value).to_datetime() >= moment


async def test_management_client_disconnects_and_reconnects(served: ServedMeter) -> None:
    async with await open_session(served, 1, MANAGEMENT_PASSWORD) as session:
        await session.action(MethodDescriptor(70, RELAY, 1), Data.integer(0))
        assert await session.get(OUTPUT_STATE) == Data.boolean(False)
        assert await session.get(CONTROL_STATE) == Data.enum(0)  # disconnected
        await session.action(MethodDescriptor(70, RELAY, 2), Data.integer(0))
        # connected, or ready for reconnection by the customer, per the control mode
        assert await session.get(CONTROL_STATE) in (Data.enum(1), Data.enum(2))


async def test_public_client_may_not_disconnect(served: ServedMeter) -> None:
    async with await open_session(served) as session:
        with pytest.raises(AccessRefused):
            await session.action(MethodDescriptor(70, RELAY, 1), Data.integer(0))
        # the association survives a refusal
        assert (await session.get(SCALER_UNIT)).items[1] == Data.enum(30)


async def test_wrong_password_is_rejected(served: ServedMeter) -> None:
    with pytest.raises(AssociationRejected, match="AUTHENTICATION_FAILURE"):
        async with await open_session(served, 1, b"wrong"):
            pass


@pytest.fixture
async def silent_peer() -> AsyncIterator[int]:
    """A TCP peer that accepts and reads but never answers."""

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(4096):
            pass
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def test_a_silent_meter_gives_a_clear_timeout(silent_peer: int) -> None:
    transport = await TcpWrapperTransport.connect("127.0.0.1", silent_peer, timeout_s=1)
    with pytest.raises(NoAnswer, match=r"no answer from the meter within 0\.2 s"):
        async with Session(transport, timeout_s=0.2):
            pass


async def test_refused_connection_is_no_answer() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(NoAnswer, match="cannot connect"):
        await TcpWrapperTransport.connect("127.0.0.1", port, timeout_s=1)


async def test_the_timeout_bounds_silence_not_a_slowly_arriving_answer() -> None:
    """An answer dripping in over ~1 s arrives whole with a 0.4 s timeout; then silence fails."""
    answer = bytes(range(40))

    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(4096)
        frame = encode_wrapper(1, 16, answer)
        for start in range(0, len(frame), 5):  # 10 pieces, 0.1 s apart
            writer.write(frame[start : start + 5])
            await asyncio.sleep(0.1)
        await reader.read(4096)  # then silence until the client leaves
        writer.close()

    server = await asyncio.start_server(drip, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = await TcpWrapperTransport.connect("127.0.0.1", port, timeout_s=5)
    try:
        await transport.send(b"\xc0")
        assert await asyncio.wait_for(transport.receive(0.4), 10) == answer
        with pytest.raises(NoAnswer, match=r"within 0\.4 s"):
            await asyncio.wait_for(transport.receive(0.4), 10)
    finally:
        await transport.close()
        server.close()
        await server.wait_closed()
