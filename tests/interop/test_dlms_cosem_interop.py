"""dlms-cosem (a second independent client) against our server over loopback TCP; every APDU
of the session, both directions, is also decoded by dlms-cosem's own APDU parsers."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from dlms_cosem import cosem, enumerations, utils
from dlms_cosem.client import DlmsClient
from dlms_cosem.connection import XDlmsApduFactory
from dlms_cosem.cosem.capture_object import CaptureObject
from dlms_cosem.cosem.selective_access import RangeDescriptor
from dlms_cosem.io import BlockingTcpIO, TcpTransport
from dlms_cosem.security import NoSecurityAuthentication
from served_tcp import START, ServedMeter

from cosem.access import AttributeAccessMode

READABLE = (AttributeAccessMode.READ_ONLY, AttributeAccessMode.READ_AND_WRITE)
# dlms-cosem 25.1 has no bit-string decoder (BitStringData.from_bytes is not implemented):
# xDLMS_context_info (its conformance block) is read but not decoded by it.
XDLMS_CONTEXT_INFO = (bytes((0, 0, 40, 0, 0, 255)), 5)


class RecordingTransport(TcpTransport):  # type: ignore[misc]
    """dlms-cosem's own TCP transport, keeping every (request, response) APDU."""

    exchanged: list[tuple[bytes, bytes]]

    def send_request(self, bytes_to_send: bytes) -> bytes:
        response: bytes = super().send_request(bytes_to_send)
        self.exchanged.append((bytes_to_send, response))
        return response


def public_client(port: int) -> tuple[DlmsClient, RecordingTransport]:
    transport = RecordingTransport(
        client_logical_address=16,
        server_logical_address=1,
        io=BlockingTcpIO("127.0.0.1", port, timeout=10),
    )
    transport.exchanged = []
    client = DlmsClient(transport=transport, authentication=NoSecurityAuthentication())
    return client, transport


def attribute(class_id: int, obis: bytes, attribute_id: int) -> Any:
    return cosem.CosemAttribute(
        enumerations.CosemInterface(class_id), cosem.Obis.from_bytes(obis), attribute_id
    )


def read_everything(port: int) -> tuple[dict[tuple[bytes, int], Any], list[tuple[bytes, bytes]]]:
    client, transport = public_client(port)
    values: dict[tuple[bytes, int], Any] = {}
    with client.session():
        raw_list = client.get(attribute(15, bytes((0, 0, 40, 0, 0, 255)), 2))
        for class_id, _version, name, rights in utils.parse_as_dlms_data(raw_list):
            for attribute_id, mode, _selectors in rights[0]:
                if mode in READABLE:
                    raw = client.get(attribute(class_id, name, attribute_id))
                    key = (bytes(name), attribute_id)
                    values[key] = (
                        raw if key == XDLMS_CONTEXT_INFO else utils.parse_as_dlms_data(raw)
                    )
        range_rows = client.get(
            attribute(7, bytes((1, 0, 99, 1, 0, 255)), 2),
            access_descriptor=RangeDescriptor(
                restricting_object=CaptureObject(
                    cosem.CosemAttribute(
                        enumerations.CosemInterface.CLOCK, cosem.Obis(0, 0, 1, 0, 0), 2
                    )
                ),
                from_value=START + timedelta(minutes=60),
                to_value=START + timedelta(minutes=105),
            ),
        )
        values[(b"range", 2)] = utils.parse_as_dlms_data(range_rows)
    return values, transport.exchanged


async def test_dlms_cosem_reads_everything_and_parses_every_apdu(served: ServedMeter) -> None:
    served.advance_to(START + timedelta(hours=2))
    values, exchanged = await asyncio.wait_for(
        asyncio.to_thread(read_everything, served.port), timeout=60
    )
    import_peak = bytes((1, 0, 1, 8, 1, 255))
    assert values[(import_peak, 2)] == 1000  # rule E1: 2 h at 500 W
    assert values[(bytes((0, 0, 96, 1, 0, 255)), 2)] == b"VM0000000001"
    assert values[(bytes((0, 0, 96, 3, 10, 255)), 3)] == 1  # connected
    assert len(values[(bytes((1, 0, 99, 1, 0, 255)), 2)]) == 8
    assert len(values[(b"range", 2)]) == 4  # 10:00..10:45 UTC, both bounds included
    assert len(exchanged) > 40
    for request, response in exchanged:
        XDlmsApduFactory.apdu_from_bytes(request)
        XDlmsApduFactory.apdu_from_bytes(response)
