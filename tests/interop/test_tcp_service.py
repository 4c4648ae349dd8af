"""The TCP wrapper service: concurrent associations, broken streams, idle timeout, tracing,
the meter running while requests are served, and ``vmeter run --tcp``."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from served_tcp import START, ServedMeter

from cosem.apdu import AARQ, AttributeDescriptor, Conformance, InitiateRequest
from cosem.axdr import Data
from cosem.obis import Obis
from cosem.wrapper import WrapperDecoder, encode_wrapper
from emulator.config import MeterConfig, RunConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.tcp_service import MAX_ASSOCIATIONS_PER_CONNECTION, TcpService
from headend.session import Session
from headend.tcp import TcpWrapperTransport

IMPORT_PEAK = AttributeDescriptor(3, Obis.parse("1.8.1"), 2)
TIMEOUT_S = 10.0
GET_IMPORT_PEAK = bytes.fromhex("c001c1000301000108 01ff 0200".replace(" ", ""))


async def read_import_peak(port: int) -> Data:
    transport = await TcpWrapperTransport.connect("127.0.0.1", port)
    async with Session(transport, timeout_s=TIMEOUT_S) as session:
        return await session.get(IMPORT_PEAK)


async def raw_connection(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT_S)


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, apdu: bytes, client: int = 16
) -> bytes:
    writer.write(encode_wrapper(client, 1, apdu))
    decoder = WrapperDecoder()
    while True:
        data = await asyncio.wait_for(reader.read(65536), TIMEOUT_S)
        assert data, "server closed the connection"
        frames = decoder.feed(data)
        if frames:
            assert (frames[0].source_wport, frames[0].dest_wport) == (1, client)
            return frames[0].apdu


async def test_concurrent_associations_are_served(served: ServedMeter) -> None:
    served.advance_to(START + timedelta(hours=1))
    values = await asyncio.gather(*(read_import_peak(served.port) for _ in range(8)))
    assert values == [Data.double_long_unsigned(500)] * 8  # rule E1: 1 h at 500 W


async def test_a_broken_stream_closes_only_its_connection(served: ServedMeter) -> None:
    reader, writer = await raw_connection(served.port)
    writer.write(b"\x00\x07\x00\x10\x00\x01\x00\x01\x00")  # wrapper version 7
    assert await asyncio.wait_for(reader.read(100), TIMEOUT_S) == b""  # closed
    writer.close()
    assert await read_import_peak(served.port) == Data.double_long_unsigned(0)


async def test_frames_for_another_logical_device_are_ignored(served: ServedMeter) -> None:
    reader, writer = await raw_connection(served.port)
    writer.write(encode_wrapper(16, 9, AARQ(InitiateRequest(Conformance.GET, 0xFFFF)).to_bytes()))
    aare = await exchange(reader, writer, AARQ(InitiateRequest(Conformance.GET, 0xFFFF)).to_bytes())
    assert aare[0] == 0x61  # the only answer is to the AARQ sent to server SAP 1
    writer.close()


async def test_one_connection_may_not_open_associations_without_end(served: ServedMeter) -> None:
    reader, writer = await raw_connection(served.port)
    aarq = AARQ(InitiateRequest(Conformance.GET, 0xFFFF)).to_bytes()
    for client_sap in range(100, 100 + MAX_ASSOCIATIONS_PER_CONNECTION):
        await exchange(reader, writer, aarq, client_sap)  # unknown SAPs: rejected, answered
    writer.write(encode_wrapper(999, 1, aarq))
    assert await asyncio.wait_for(reader.read(100), TIMEOUT_S) == b""  # one too many: closed
    writer.close()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(garbage=st.binary(max_size=48))
async def test_random_apdus_over_tcp_never_stop_the_server(
    served: ServedMeter, garbage: bytes
) -> None:
    reader, writer = await raw_connection(served.port)
    await exchange(reader, writer, AARQ(InitiateRequest(Conformance.GET, 0xFFFF)).to_bytes())
    writer.write(encode_wrapper(16, 1, garbage))  # answered or not: the server survives
    writer.close()
    other_reader, other_writer = await raw_connection(served.port)
    await exchange(other_reader, other_writer, AARQ(InitiateRequest(Conformance.GET, 0)).to_bytes())
    answer = await exchange(other_reader, other_writer, GET_IMPORT_PEAK)
    assert answer == bytes.fromhex("c401c1000600000000")
    other_writer.close()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(stream=st.binary(min_size=1, max_size=64))
async def test_random_byte_streams_never_stop_the_server(
    served: ServedMeter, stream: bytes
) -> None:
    _, writer = await raw_connection(served.port)
    writer.write(stream)  # broken header, partial frame or garbage APDU: only this one suffers
    await writer.drain()
    assert await read_import_peak(served.port) == Data.double_long_unsigned(0)
    writer.close()


async def test_idle_connections_are_closed() -> None:
    config = MeterConfig()
    runtime = VirtualMeter(config, RunConfig(instant=True, start=START))
    service = TcpService(build_logical_device(runtime, config), "127.0.0.1", 0, idle_timeout_s=0.2)
    await service.start()
    try:
        reader, writer = await raw_connection(service.port)
        assert await asyncio.wait_for(reader.read(100), TIMEOUT_S) == b""  # closed when idle
        writer.close()
    finally:
        await service.close()


async def test_trace_shows_every_frame_in_hex_and_decoded() -> None:
    config = MeterConfig()
    runtime = VirtualMeter(config, RunConfig(instant=True, start=START))
    lines: list[str] = []
    device = build_logical_device(runtime, config)
    service = TcpService(device, "127.0.0.1", 0, trace=lines.append)
    await service.start()
    try:
        await read_import_peak(service.port)
    finally:
        await service.close()
    text = "\n".join(lines)
    assert "C16->S1 00 01 00 10 00 01" in text  # hex of the wrapper header
    assert "GetRequestNormal" in text and "GetResponseNormal" in text
    assert len(lines) == 6  # AARQ/AARE, GET/response, RLRQ/RLRE


async def test_meter_time_keeps_running_while_requests_are_served() -> None:
    config = MeterConfig()
    runtime = VirtualMeter(config, RunConfig(speed=3600.0, start=START))  # 1 s = 1 h
    service = TcpService(build_logical_device(runtime, config), "127.0.0.1", 0)
    await service.start()
    running = asyncio.create_task(runtime.run())
    try:
        first = (await read_import_peak(service.port)).int_value
        later = first
        while later <= first:  # the meter counts between two reads (no timing asserted)
            await asyncio.sleep(0.05)
            later = (await read_import_peak(service.port)).int_value
        assert later > first
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await service.close()


def vmeter_run_tcp(trace: str, stdout: int) -> subprocess.Popen[str]:
    """`vmeter run --tcp 127.0.0.1:0 --trace TRACE`, from START at 60x, in its own process."""
    options = ["--tcp", "127.0.0.1:0", "--start", START.isoformat(), "--speed", "60"]
    return subprocess.Popen(
        [sys.executable, "-m", "emulator.cli", "run", *options, "--trace", trace],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def announced_port(process: subprocess.Popen[str]) -> int:
    assert process.stderr is not None
    line = await asyncio.wait_for(asyncio.to_thread(process.stderr.readline), TIMEOUT_S)
    assert line.startswith("COSEM TCP server on 127.0.0.1:"), line
    return int(line.rsplit(":", 1)[1])


async def test_vmeter_run_tcp_serves_the_meter(tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    process = vmeter_run_tcp(str(trace), subprocess.DEVNULL)
    try:
        port = await announced_port(process)
        value = await read_import_peak(port)
        assert value.int_value >= 0
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(asyncio.to_thread(process.wait), TIMEOUT_S)
    assert "GetResponseNormal" in trace.read_text()


async def test_vmeter_run_trace_dash_goes_to_stderr_beside_the_lcd_on_stdout() -> None:
    """`--trace -` must not mix frames into stdout, which carries the meter's LCD lines."""
    process = vmeter_run_tcp("-", subprocess.PIPE)
    try:
        await read_import_peak(await announced_port(process))
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = await asyncio.wait_for(asyncio.to_thread(process.communicate), TIMEOUT_S)
    assert "GetResponseNormal" in stderr
    assert "C16->S1" in stderr
    assert "GetRe" not in stdout and "C16->S1" not in stdout
