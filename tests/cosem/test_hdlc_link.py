"""The HDLC link state machine: negotiation, sequence numbers, segmentation, DISC/DM, FRMR,
inactivity timeout; a client and a meter link talking through memory."""

import pytest

from cosem.hdlc import (
    ClientAddress,
    Control,
    Frame,
    FrameKind,
    FrameParser,
    HdlcError,
    LinkParameters,
    RawFrame,
    ServerAddress,
    check_sequence,
)
from cosem.hdlc_link import (
    ApduReceived,
    Disconnected,
    Event,
    FrameRejected,
    HdlcLink,
    LinkState,
    Role,
)

METER = ServerAddress(1, 17, 2)
CLIENT = ClientAddress(16)
DEFAULTS = LinkParameters()


def frames_of(data: bytes) -> list[RawFrame]:
    parser = FrameParser()
    parser.feed(data)
    return list(parser.frames())


def events(link: HdlcLink) -> list[Event]:
    found = []
    while (event := link.next_event()) is not None:
        found.append(event)
    return found


def pump(client: HdlcLink, meter: HdlcLink, now: float = 0.0) -> int:
    """Carry bytes both ways until both links are quiet; the number of frames exchanged."""
    count = 0
    while True:
        to_meter, to_client = client.data_to_send(), meter.data_to_send()
        if not to_meter and not to_client:
            return count
        count += len(frames_of(to_meter)) + len(frames_of(to_client))
        meter.receive_data(to_meter, now)
        client.receive_data(to_client, now)


def connected_pair(
    client_limits: LinkParameters = DEFAULTS,
    meter_limits: LinkParameters = DEFAULTS,
) -> tuple[HdlcLink, HdlcLink]:
    client = HdlcLink(Role.CLIENT, METER, CLIENT, limits=client_limits)
    meter = HdlcLink(Role.SERVER, METER, limits=meter_limits, inactivity_timeout=120)
    client.connect()
    pump(client, meter)
    assert client.state is meter.state is LinkState.CONNECTED
    events(client), events(meter)
    return client, meter


def test_snrm_negotiates_the_smaller_limits() -> None:
    client, meter = connected_pair(
        LinkParameters(max_info_tx=2030, max_info_rx=512, window_tx=1, window_rx=7),
        LinkParameters(max_info_tx=1024, max_info_rx=1024, window_tx=1, window_rx=1),
    )
    assert meter.parameters == LinkParameters(512, 1024, 1, 1)
    assert client.parameters == LinkParameters(1024, 512, 1, 1)


def test_sequence_numbers_follow_the_standard() -> None:
    client, meter = connected_pair()
    sent = []
    for n in range(10):
        client.send_apdu(b"\xc0\x01" + bytes([n]))
        request = client.data_to_send()
        meter.receive_data(request, 0)
        assert events(meter) == [ApduReceived(b"\xc0\x01" + bytes([n]))]
        meter.send_apdu(b"\xc4\x01" + bytes([n]))
        reply = meter.data_to_send()
        client.receive_data(reply, 0)
        assert events(client) == [ApduReceived(b"\xc4\x01" + bytes([n]))]
        sent.append((frames_of(request)[0].control_byte, frames_of(reply)[0].control_byte))
    # 0x10/0x30, 0x32/0x52, ... then the 3-bit counters wrap.
    assert sent[:3] == [(0x10, 0x30), (0x32, 0x52), (0x54, 0x74)]
    assert sent[8] == (0x10, 0x30)


@pytest.mark.parametrize("size", [1, 125, 126, 127, 300, 5000])
def test_long_apdus_are_segmented_both_ways(size: int) -> None:
    client, meter = connected_pair()
    request = bytes(i % 251 for i in range(size))
    client.send_apdu(request)
    pump(client, meter)
    assert events(meter) == [ApduReceived(request)]
    meter.send_apdu(request[::-1])
    frames = pump(client, meter)
    assert events(client) == [ApduReceived(request[::-1])]
    segments = -(-(size + 3) // 128)
    assert frames == 2 * segments - 1  # every segment but the last is acknowledged by RR


def test_segments_carry_the_segmentation_bit_and_rr_fetches_the_next() -> None:
    client, meter = connected_pair()
    client.send_apdu(b"\xc0\x01\x00")
    meter.receive_data(client.data_to_send(), 0)
    events(meter)
    meter.send_apdu(bytes(300))
    first = meter.data_to_send()
    assert first[1] == 0xA8  # S bit set
    assert len(frames_of(first)) == 1 and meter.sending_segments
    meter.receive_data(
        Frame(METER.encode(), CLIENT.encode(), Control(FrameKind.RR, True, 0, 1)).encode(), 0
    )
    second = frames_of(meter.data_to_send())[0]
    assert second.control_byte == 0x32 and second.segmented


def test_lost_answer_is_repeated() -> None:
    client, meter = connected_pair()
    client.send_apdu(b"\xc0\x01\x00")
    request = client.data_to_send()
    meter.receive_data(request, 0)
    events(meter)
    meter.send_apdu(b"\xc4\x01\x00")
    answer = meter.data_to_send()
    meter.receive_data(request, 1)  # the client did not get it and asks again
    assert meter.data_to_send() == answer
    assert events(meter) == []


def test_rr_poll_without_pending_data_gets_rr() -> None:
    client, meter = connected_pair()
    client.receive_ready()
    meter.receive_data(client.data_to_send(), 0)
    (answer,) = frames_of(meter.data_to_send())
    assert Control.decode(answer.control_byte) == Control(FrameKind.RR, True, 0, 0)


def test_rnr_holds_the_next_segment() -> None:
    client, meter = connected_pair()
    client.send_apdu(b"\xc0")
    meter.receive_data(client.data_to_send(), 0)
    events(meter)
    meter.send_apdu(bytes(300))
    meter.data_to_send()
    rnr = Frame(METER.encode(), CLIENT.encode(), Control(FrameKind.RNR, True, 0, 1)).encode()
    meter.receive_data(rnr, 0)
    (answer,) = frames_of(meter.data_to_send())
    assert Control.decode(answer.control_byte).kind is FrameKind.RR
    assert meter.sending_segments


def test_disc_closes_and_a_closed_meter_answers_dm() -> None:
    client, meter = connected_pair()
    client.disconnect()
    pump(client, meter)
    assert events(meter) == [Disconnected("DISC from the client")]
    assert events(client) == [Disconnected("closed")]
    # An I-frame on a closed link: DM; the client learns the link is gone.
    stray = Frame(
        METER.encode(), CLIENT.encode(), Control(FrameKind.I, True, 0, 0), b"\xe6\xe6\x00\xc0"
    )
    meter.receive_data(stray.encode(), 0)
    assert (
        meter.data_to_send()
        == Frame(CLIENT.encode(), METER.encode(), Control(FrameKind.DM)).encode()
    )


def test_malformed_frame_gets_frmr_until_snrm() -> None:
    client, meter = connected_pair()
    bad = Frame(
        METER.encode(), CLIENT.encode(), Control(FrameKind.I, True, 5, 0), b"\xe6\xe6\x00\xc0"
    )
    meter.receive_data(bad.encode(), 0)
    frmr = Frame(CLIENT.encode(), METER.encode(), Control(FrameKind.FRMR)).encode()
    assert meter.data_to_send() == frmr
    assert events(meter) == [FrameRejected("N(S)=5, expected 0")]
    client.send_apdu(b"\xc0")
    meter.receive_data(client.data_to_send(), 0)
    assert meter.data_to_send() == frmr  # the reject condition holds
    client.receive_data(frmr, 0)
    assert isinstance(events(client)[0], FrameRejected)
    client.connect()
    pump(client, meter)
    assert meter.state is LinkState.CONNECTED


@pytest.mark.parametrize(
    ("control", "info"),
    [
        (0x9D, b""),  # REJ-like supervisory: not supported
        (0xFF, b""),  # no such unnumbered frame
        (0x10, b"\xc0\x01"),  # APDU without the LLC header
        (0x73, b""),  # UA is not a command
    ],
)
def test_bad_control_or_content_gets_frmr(control: int, info: bytes) -> None:
    _client, meter = connected_pair()
    meter.receive_data(frame_with_control(control, info), 0)
    assert frames_of(meter.data_to_send())[0].control_byte == 0x97
    assert meter.state is LinkState.REJECTED


def frame_with_control(control: int, info: bytes) -> bytes:
    """A well-checksummed frame to the meter with any control byte, even an invalid one."""
    length = 2 + 2 + 1 + 1 + 2 + (len(info) + 2 if info else 0)
    header = bytes([0xA0, length]) + METER.encode() + CLIENT.encode() + bytes([control])
    body = header + check_sequence(header)
    if info:
        body += info + check_sequence(body + info)
    return b"\x7e" + body + b"\x7e"


def test_oversized_information_field_gets_frmr() -> None:
    _client, meter = connected_pair()
    big = Frame(METER.encode(), CLIENT.encode(), Control(FrameKind.I, True, 0, 0), bytes(200))
    meter.receive_data(big.encode(), 0)
    assert events(meter) == [
        FrameRejected("information field of 200 bytes exceeds the agreed size")
    ]


def test_frames_for_another_meter_are_ignored() -> None:
    meter = HdlcLink(Role.SERVER, METER)
    other = Frame(ServerAddress(1, 18, 2).encode(), CLIENT.encode(), Control(FrameKind.SNRM))
    meter.receive_data(other.encode(), 0)
    assert meter.data_to_send() == b""
    assert meter.state is LinkState.DISCONNECTED


def test_broadcast_snrm_is_answered_with_the_meters_own_address() -> None:
    meter = HdlcLink(Role.SERVER, METER)
    snrm = Frame(ServerAddress(1, 0x7F, 2).encode(), CLIENT.encode(), Control(FrameKind.SNRM))
    meter.receive_data(snrm.encode(), 0)
    (ua,) = frames_of(meter.data_to_send())
    assert ua.source == METER.encode()


def test_inactivity_timeout_drops_the_link() -> None:
    client, meter = connected_pair()
    meter.check_timeout(119.9)
    assert meter.state is LinkState.CONNECTED
    meter.check_timeout(120)
    assert meter.state is LinkState.DISCONNECTED
    assert events(meter) == [Disconnected("inactivity timeout")]
    client.send_apdu(b"\xc0")
    meter.receive_data(client.data_to_send(), 121)
    client.receive_data(meter.data_to_send(), 121)
    assert events(client) == [Disconnected("DM: the meter has no link open")]


def test_the_link_refuses_calls_out_of_order() -> None:
    client = HdlcLink(Role.CLIENT, METER)
    with pytest.raises(HdlcError):
        client.send_apdu(b"\xc0")
    meter = HdlcLink(Role.SERVER, METER)
    with pytest.raises(HdlcError):
        meter.connect()
    client, meter = connected_pair()
    with pytest.raises(HdlcError, match="only in answer"):
        meter.send_apdu(b"\xc4")
