"""TCP/UDP wrapper framing (IEC 62056-47, COSEM-FACTS 5.6): an 8-byte header
``version(1) source-wPort destination-wPort length``, all uint16 big-endian, then the APDU."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cosem.errors import DecodeError, EncodeError

WRAPPER_VERSION = 1
DLMS_PORT = 4059
HEADER = struct.Struct(">HHHH")
# A wrapper length field allows 65535 bytes; refuse more than a peer may send us.
DEFAULT_MAX_APDU = 0xFFFF


@dataclass(frozen=True, slots=True)
class WrapperFrame:
    source_wport: int
    dest_wport: int
    apdu: bytes

    def to_bytes(self) -> bytes:
        return encode_wrapper(self.source_wport, self.dest_wport, self.apdu)


def encode_wrapper(source_wport: int, dest_wport: int, apdu: bytes) -> bytes:
    if len(apdu) > 0xFFFF:
        raise EncodeError(f"APDU of {len(apdu)} bytes does not fit a wrapper frame")
    try:
        return HEADER.pack(WRAPPER_VERSION, source_wport, dest_wport, len(apdu)) + apdu
    except struct.error as exc:
        raise EncodeError(f"wPort out of range: {source_wport}, {dest_wport}") from exc


class WrapperDecoder:
    """Sans-IO stream reassembly: ``feed`` bytes as they arrive, get complete frames back.

    After a DecodeError (bad version, length above ``max_apdu``) the stream is out of sync:
    the caller must drop the connection; further ``feed`` calls raise again.
    """

    def __init__(self, max_apdu: int = DEFAULT_MAX_APDU) -> None:
        self._buffer = bytearray()
        self._max_apdu = max_apdu
        self._broken: DecodeError | None = None

    def feed(self, data: bytes) -> list[WrapperFrame]:
        if self._broken is not None:
            raise self._broken
        self._buffer += data
        frames = []
        while len(self._buffer) >= HEADER.size:
            version, source, dest, length = HEADER.unpack_from(self._buffer)
            if version != WRAPPER_VERSION:
                self._broken = DecodeError(f"wrapper version {version}, expected 1")
            elif length > self._max_apdu:
                self._broken = DecodeError(
                    f"wrapper length {length} above the limit {self._max_apdu}"
                )
            if self._broken is not None:
                raise self._broken
            end = HEADER.size + length
            if len(self._buffer) < end:
                break
            frames.append(WrapperFrame(source, dest, bytes(self._buffer[HEADER.size : end])))
            del self._buffer[:end]
        return frames

    @property
    def pending(self) -> int:
        """Bytes received that do not yet make a complete frame."""
        return len(self._buffer)
