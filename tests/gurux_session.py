"""A blocking gurux-dlms client over the TCP wrapper (run it in a thread next to the server),
shared by tests/interop, tests/push and tests/gas.

The gurux pattern (TOOLING.md): send each frame, feed the bytes to ``client.getData`` until
it returns True, and loop ``receiverReady`` while the reply says more data follows."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any, TypeVar

from gurux_dlms import GXByteBuffer, GXDLMSClient, GXReplyData
from gurux_dlms.enums import Authentication, InterfaceType, ObjectType

TIMEOUT_S = 10.0
T = TypeVar("T")


class GuruxSession:
    def __init__(self, port: int, client_sap: int = 16, password: str | None = None) -> None:
        authentication = Authentication.LOW if password else Authentication.NONE
        self.client = GXDLMSClient(
            True, client_sap, 1, authentication, password, InterfaceType.WRAPPER
        )
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.frames: list[tuple[bytes, bytes]] = []
        """Every (request, response) exchanged, raw wrapper frames."""

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> GuruxSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def exchange(self, frames: Any) -> GXReplyData:
        reply = GXReplyData()
        for frame in frames if isinstance(frames, list) else [frames]:
            reply.clear()
            self._exchange_one(frame, reply)
            while reply.isMoreData():
                self._exchange_one(self.client.receiverReady(reply), reply)
        return reply

    def _exchange_one(self, frame: bytes | bytearray, reply: GXReplyData) -> None:
        self.sock.sendall(bytes(frame))
        buffer = GXByteBuffer()
        received = b""
        notify = GXReplyData()
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            received += chunk
            buffer.set(chunk)
            if self.client.getData(buffer, reply, notify):
                break
        self.frames.append((bytes(frame), received))

    def associate(self) -> None:
        reply = self.exchange(self.client.aarqRequest())
        self.client.parseAareResponse(reply.data)

    def release(self) -> None:
        self.exchange(self.client.releaseRequest())

    def object_list(self) -> Any:
        reply = self.exchange(self.client.getObjectsRequest())
        return self.client.parseObjects(reply.data, True)

    def read(self, obj: Any, attribute: int) -> Any:
        reply = self.exchange(self.client.read(obj, attribute))
        return self.client.updateValue(obj, attribute, reply.value)

    def read_list(self, items: list[tuple[Any, int]]) -> list[Any]:
        """GET-Request-With-List (gurux splits long lists into several requests)."""
        values: list[Any] = []
        for message in self.client.readList(items):
            values.extend(self.exchange(message).value)
        self.client.updateValues(items, values)
        return values

    def write(self, obj: Any, attribute: int) -> None:
        self.exchange(self.client.write(obj, attribute))

    def method(self, frames: Any) -> GXReplyData:
        return self.exchange(frames)

    def rows_by_range(self, profile: Any, start: Any, end: Any) -> Any:
        reply = self.exchange(self.client.readRowsByRange(profile, start, end))
        return self.client.updateValue(profile, 2, reply.value)


async def in_thread(work: Callable[[], T]) -> T:
    """Run a blocking gurux call beside the asyncio server, bounded in time."""
    return await asyncio.wait_for(asyncio.to_thread(work), timeout=60)


def find(objects: Any, object_type: ObjectType, name: str) -> Any:
    """The object of that type and logical name in a gurux object list."""
    for obj in objects:
        if obj.objectType == object_type and obj.logicalName == name:
            return obj
    raise AssertionError(f"{name} not in the object list")
