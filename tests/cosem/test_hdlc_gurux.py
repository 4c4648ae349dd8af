"""gurux-dlms as an independent HDLC client against our meter link: its frames are understood,
ours are parsed, segmentation and negotiated sizes agree (frames over 255 bytes included)."""

import pytest
from gurux_dlms import GXDLMSClient, GXReplyData
from gurux_dlms.enums import Authentication, InterfaceType
from gurux_dlms.objects import GXDLMSData

from cosem.hdlc import LinkParameters, ServerAddress
from cosem.hdlc_link import ApduReceived, Connected, HdlcLink, Role

AARE_APDU = bytes.fromhex(
    "6129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F0400001E1D04000007"
)


class CannedMeter:
    """Our HDLC link answering with fixed APDUs: AARE to an AARQ, `value` to any GET."""

    def __init__(self, address: ServerAddress, limits: LinkParameters, value: bytes) -> None:
        self.link = HdlcLink(Role.SERVER, address, limits=limits)
        self.value = value
        self.negotiated: LinkParameters | None = None
        self.frame_sizes: list[int] = []

    def answer(self, frame: bytes) -> bytes:
        self.link.receive_data(frame, 0)
        while (event := self.link.next_event()) is not None:
            if isinstance(event, Connected):
                self.negotiated = event.parameters
            elif isinstance(event, ApduReceived):
                self.link.send_apdu(self._apdu_for(event.apdu))
        data = self.link.data_to_send()
        self.frame_sizes.append(len(data))
        return data

    def _apdu_for(self, request: bytes) -> bytes:
        if request[0] == 0x60:
            return AARE_APDU
        invoke_id = request[2]
        length = len(self.value)
        return (
            bytes([0xC4, 0x01, invoke_id, 0x00, 0x09, 0x82])
            + length.to_bytes(2, "big")
            + self.value
        )


def gurux_exchange(client: GXDLMSClient, meter: CannedMeter, frames: list[bytes]) -> GXReplyData:
    reply = GXReplyData()
    for frame in frames:
        data = meter.answer(bytes(frame))
        notify = GXReplyData()
        assert client.getData(data, reply, notify)
    while reply.isMoreData():
        data = meter.answer(bytes(client.receiverReady(reply)))
        assert client.getData(data, reply, GXReplyData())
    return reply


@pytest.mark.parametrize(
    ("address", "gurux_address", "address_size"),
    [
        (ServerAddress(1), 1, 1),
        (ServerAddress(1, 17, 2), 145, 2),
        (ServerAddress(1, 17, 4), 16401, 4),
    ],
)
@pytest.mark.parametrize("max_info", [128, 512, 2030])
def test_gurux_reads_a_long_value_through_our_link(
    address: ServerAddress, gurux_address: int, address_size: int, max_info: int
) -> None:
    value = bytes(i % 253 for i in range(3000))
    meter = CannedMeter(address, LinkParameters(2030, 2030, 1, 1), value)
    client = GXDLMSClient(True, 16, gurux_address, Authentication.NONE, None, InterfaceType.HDLC)
    client.setServerAddressSize(address_size)
    client.hdlcSettings.maxInfoTX = max_info
    client.hdlcSettings.maxInfoRX = max_info

    client.parseUAResponse(gurux_exchange(client, meter, [client.snrmRequest()]).data)
    assert meter.negotiated == LinkParameters(max_info, max_info, 1, 1)
    assert client.hdlcSettings.maxInfoRX == max_info

    aare = gurux_exchange(client, meter, client.aarqRequest())
    client.parseAareResponse(aare.data)

    item = GXDLMSData("0.0.96.1.0.255")
    reply = gurux_exchange(client, meter, client.read(item, 2))
    assert bytes(reply.value) == value
    assert max(meter.frame_sizes) > 255 or max_info < 255


def test_gurux_sends_a_segmented_request_we_reassemble() -> None:
    meter = CannedMeter(ServerAddress(1), LinkParameters(), b"\x01")
    client = GXDLMSClient(True, 16, 1, Authentication.NONE, None, InterfaceType.HDLC)
    client.parseUAResponse(gurux_exchange(client, meter, [client.snrmRequest()]).data)
    received: list[bytes] = []
    long_write = client.write(_long_data_object(), 2)
    for frames in [long_write]:
        for frame in frames:
            meter.link.receive_data(bytes(frame), 0)
            while (event := meter.link.next_event()) is not None:
                if isinstance(event, ApduReceived):
                    received.append(event.apdu)
            meter.link.data_to_send()
    assert len(received) == 1 and len(received[0]) > 300  # one APDU from several frames


def _long_data_object() -> GXDLMSData:
    item = GXDLMSData("0.0.96.1.0.255")
    item.value = "x" * 300
    return item
