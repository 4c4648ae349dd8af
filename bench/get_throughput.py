"""GET throughput of the COSEM TCP server (a benchmark that prints figures; not a test).

The server (a real-time VirtualMeter with the TCP wrapper service, as ``vmeter run``) runs in
its own process; its CPU time is read from /proc before and after each run, so "server CPU per
GET" is the server process's user+system time divided by the GETs it answered (the meter's
own timers included, which are negligible here); "client CPU per GET" likewise from each
client process's own CPU time. On one association GETs go one after the other, so GET/s is
bounded by the sum of both plus the loopback's latency. Each GET reads 1-0:1.8.1.255 live
(the firmware advances to the clock's now and releases the value).

Clients, each in its own process, each with its own association, for 1 and N concurrent
associations: ``raw`` (a pre-encoded wrapper frame on a blocking socket: the server's
ceiling), ``vmeter`` (headend.Session over headend.tcp, asyncio) and ``gurux`` (GXDLMSClient).
Also association set-ups per second (AARQ/AARE + RLRQ/RLRE pairs on one connection).

    .venv/bin/python bench/get_throughput.py [--seconds 3] [--clients 1 8]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cosem.apdu import (  # noqa: E402
    AARQ,
    RLRQ,
    AttributeDescriptor,
    Conformance,
    InitiateRequest,
)
from cosem.obis import Obis  # noqa: E402
from cosem.wrapper import encode_wrapper  # noqa: E402

IMPORT_PEAK = AttributeDescriptor(3, Obis.parse("1.8.1"), 2)
GET_FRAME = encode_wrapper(16, 1, bytes.fromhex("c001c100030100010801ff0200"))
AARQ_FRAME = encode_wrapper(16, 1, AARQ(InitiateRequest(Conformance.GET, 0xFFFF)).to_bytes())
RLRQ_FRAME = encode_wrapper(16, 1, RLRQ().to_bytes())
TICKS = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- server process


def serve() -> None:
    """Child process: the meter and its TCP service; prints the port, runs until killed."""
    from emulator.config import MeterConfig, RunConfig
    from emulator.cosem_binding import build_logical_device
    from emulator.runtime import VirtualMeter
    from emulator.tcp_service import TcpService

    async def main() -> None:
        config = MeterConfig()
        runtime = VirtualMeter(config, RunConfig())
        service = TcpService(build_logical_device(runtime, config), "127.0.0.1", 0)
        await service.start()
        print(service.port, flush=True)
        await runtime.run()

    asyncio.run(main())


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


# ---------------------------------------------------------------- clients (one process each)


def _recv_frame(sock: socket.socket) -> bytes:
    header = b""
    while len(header) < 8:
        header += sock.recv(8 - len(header))
    length = int.from_bytes(header[6:8], "big")
    body = b""
    while len(body) < length:
        body += sock.recv(length - len(body))
    return body


def raw_client(port: int, seconds: float) -> int:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(AARQ_FRAME)
        _recv_frame(sock)
        count = 0
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            for _ in range(100):
                sock.sendall(GET_FRAME)
                _recv_frame(sock)
            count += 100
        return count


def vmeter_client(port: int, seconds: float) -> int:
    from headend.session import Session
    from headend.tcp import TcpWrapperTransport

    async def main() -> int:
        transport = await TcpWrapperTransport.connect("127.0.0.1", port)
        async with Session(transport) as session:
            count = 0
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                for _ in range(100):
                    await session.get(IMPORT_PEAK)
                count += 100
            return count

    return asyncio.run(main())


def gurux_client(port: int, seconds: float) -> int:
    from gurux_dlms import GXByteBuffer, GXDLMSClient, GXReplyData
    from gurux_dlms.enums import InterfaceType
    from gurux_dlms.objects import GXDLMSRegister

    client = GXDLMSClient(True, 16, 1, interfaceType=InterfaceType.WRAPPER)
    register = GXDLMSRegister("1.0.1.8.1.255")
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def exchange(frame: bytes | bytearray) -> GXReplyData:
            sock.sendall(bytes(frame))
            reply, notify, buffer = GXReplyData(), GXReplyData(), GXByteBuffer()
            while not client.getData(buffer, reply, notify):
                buffer.set(sock.recv(65536))
            return reply

        client.parseAareResponse(exchange(client.aarqRequest()[0]).data)
        count = 0
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            for _ in range(100):
                reply = exchange(client.read(register, 2)[0])
                client.updateValue(register, 2, reply.value)
            count += 100
        return count


def association_client(port: int, seconds: float) -> int:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        count = 0
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            sock.sendall(AARQ_FRAME)
            _recv_frame(sock)
            sock.sendall(RLRQ_FRAME)
            _recv_frame(sock)
            count += 1
        return count


CLIENTS: dict[str, Callable[[int, float], int]] = {
    "raw": raw_client,
    "vmeter": vmeter_client,
    "gurux": gurux_client,
}


# ---------------------------------------------------------------- driver


def measure(
    server_pid: int, client: Callable[[int, float], int], port: int, n: int, seconds: float
) -> tuple[int, float, float, float]:
    """(requests, wall seconds, server CPU seconds, client CPU seconds) for ``n`` concurrent
    client processes."""
    with multiprocessing.get_context("fork").Pool(n) as pool:
        cpu_before, started = cpu_seconds(server_pid), time.perf_counter()
        runs = pool.starmap(_timed, [(client, port, seconds)] * n)
        wall, cpu = time.perf_counter() - started, cpu_seconds(server_pid) - cpu_before
    return sum(count for count, _ in runs), wall, cpu, sum(cpu for _, cpu in runs)


def _timed(client: Callable[[int, float], int], port: int, seconds: float) -> tuple[int, float]:
    """(requests, this client process's CPU seconds while making them)."""
    started = time.process_time()
    count = client(port, seconds)
    return count, time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--kinds", nargs="+", default=list(CLIENTS), choices=list(CLIENTS))
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        print(f"server pid {server.pid} on 127.0.0.1:{port}, {os.cpu_count()} CPUs")
        header = f"{'client':8} {'assoc':>5} {'GET/s':>9} {'server CPU/GET':>15}"
        print(f"{header} {'client CPU/GET':>15}")
        for kind in args.kinds:
            for n in args.clients:
                requests, wall, cpu, client_cpu = measure(
                    server.pid, CLIENTS[kind], port, n, args.seconds
                )
                print(
                    f"{kind:8} {n:5} {requests / wall:9.0f} {cpu / requests * 1e6:12.1f} us"
                    f" {client_cpu / requests * 1e6:12.1f} us"
                )
        setups, wall, cpu, _ = measure(server.pid, association_client, port, 1, args.seconds)
        print(
            f"association set-ups (AARQ+RLRQ, raw client): {setups / wall:.0f}/s, "
            f"server CPU {cpu / setups * 1e6:.0f} us each"
        )
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
