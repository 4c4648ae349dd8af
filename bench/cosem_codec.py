"""Figures for the COSEM codec hot path and a head-end GET round trip over loopback TCP.
Run: ``.venv/bin/python bench/cosem_codec.py``."""

from __future__ import annotations

import asyncio
import statistics
import time
import timeit
from collections.abc import Callable
from datetime import UTC, datetime

from cosem.apdu import AttributeDescriptor, GetRequestNormal, GetResponseNormal, parse_apdu
from cosem.apdu.get import parse_get_request_normal
from cosem.axdr import Data, decode_all, encode
from cosem.obis import Obis

REGISTER = AttributeDescriptor(3, Obis.parse("1.8.1"), 2)
REQUEST = GetRequestNormal(REGISTER).to_bytes()
PROFILE_ROW = Data.structure(
    Data.octet_string(bytes(12)), *(Data.double_long_unsigned(n) for n in range(4))
)


def per_call(call: Callable[[], object], number: int = 200_000) -> float:
    seconds = min(timeit.repeat(call, number=number, repeat=3))
    return seconds / number * 1e6


def codec_figures() -> None:
    encoded_value = encode(Data.double_long_unsigned(123456))
    encoded_row = encode(PROFILE_ROW)
    figures: dict[str, Callable[[], object]] = {
        "Data.double_long_unsigned(n)": lambda: Data.double_long_unsigned(123456),
        "encode(double-long-unsigned)": lambda: encode(Data.double_long_unsigned(123456)),
        "decode_all(double-long-unsigned)": lambda: decode_all(encoded_value),
        "parse_get_request_normal": lambda: parse_get_request_normal(REQUEST),
        "parse_apdu(GET-Request-Normal)": lambda: parse_apdu(REQUEST),
        "GetResponseNormal(..).to_bytes()": lambda: GetResponseNormal(
            Data.double_long_unsigned(123456)
        ).to_bytes(),
        "encode(profile row, 5 values)": lambda: encode(PROFILE_ROW),
        "decode_all(profile row)": lambda: decode_all(encoded_row),
    }
    for name, call in figures.items():
        print(f"{name:<38} {per_call(call):6.2f} us")


async def round_trips(count: int = 2000) -> list[float]:
    from emulator.config import MeterConfig, RunConfig
    from emulator.cosem_binding import build_logical_device
    from emulator.runtime import VirtualMeter
    from emulator.tcp_service import TcpService
    from headend.session import Session
    from headend.tcp import TcpWrapperTransport

    config = MeterConfig()
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    runtime = VirtualMeter(config, RunConfig(instant=True, start=start))
    service = TcpService(build_logical_device(runtime, config), "127.0.0.1", 0)
    await service.start()
    samples = []
    try:
        transport = await TcpWrapperTransport.connect("127.0.0.1", service.port)
        async with Session(transport) as session:
            for _ in range(count):
                began = time.perf_counter()
                await session.get(REGISTER)
                samples.append((time.perf_counter() - began) * 1e6)
    finally:
        await service.close()
    return samples


def main() -> None:
    codec_figures()
    samples = sorted(asyncio.run(round_trips()))
    p50 = statistics.median(samples)
    p99 = samples[int(len(samples) * 0.99)]
    label = "head-end GET 1.8.1, loopback TCP, server in-process"
    print(f"{label:<38} p50 {p50:.0f} us, p99 {p99:.0f} us")


if __name__ == "__main__":
    main()
