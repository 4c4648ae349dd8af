"""Property tests: whatever arrives on the line, the meter's HDLC link never crashes and
resynchronises on the next good frame."""

from hypothesis import given, settings
from hypothesis import strategies as st

from cosem.hdlc import (
    ClientAddress,
    Control,
    Frame,
    FrameKind,
    LinkParameters,
    ServerAddress,
)
from cosem.hdlc_link import ApduReceived, Connected, HdlcLink, LinkState, Role

METER = ServerAddress(1, 17, 2)
CLIENT = ClientAddress(16)
SNRM = Frame(METER.encode(), CLIENT.encode(), Control(FrameKind.SNRM)).encode()


def request(apdu: bytes, send_seq: int = 0) -> bytes:
    control = Control(FrameKind.I, True, send_seq, 0)
    return Frame(METER.encode(), CLIENT.encode(), control, b"\xe6\xe6\x00" + apdu).encode()


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@settings(max_examples=200)
@given(noise=st.binary(max_size=300), cuts=st.lists(st.integers(0, 400), max_size=8))
def test_noise_never_crashes_and_the_next_snrm_is_answered(noise: bytes, cuts: list[int]) -> None:
    meter = HdlcLink(Role.SERVER, METER)
    for chunk in split(noise, cuts):
        meter.receive_data(chunk, 0)
    meter.data_to_send()
    while meter.next_event() is not None:
        pass
    # A closing flag ends whatever the noise started; the SNRM that follows is understood.
    meter.receive_data(b"\x7e" + SNRM, 1)
    answer = meter.data_to_send()
    assert answer.startswith(b"\x7e\xa0") and answer.endswith(b"\x7e")
    assert meter.state is LinkState.CONNECTED


@settings(max_examples=150)
@given(
    apdus=st.lists(st.binary(min_size=1, max_size=120), min_size=1, max_size=4),
    cuts=st.lists(st.integers(0, 2000), max_size=12),
)
def test_partial_frames_at_any_split_point(apdus: list[bytes], cuts: list[int]) -> None:
    """Flags (0x7E) inside the data and frames cut anywhere give the same APDUs."""
    meter = HdlcLink(Role.SERVER, METER)
    received: list[bytes] = []
    frames = [SNRM] + [request(b"\x7e" + apdu, n) for n, apdu in enumerate(apdus)]
    for frame in frames:  # each request once the previous one is answered (window 1)
        for chunk in split(frame, cuts):
            meter.receive_data(chunk, 0)
            while (event := meter.next_event()) is not None:
                if isinstance(event, ApduReceived):
                    received.append(event.apdu)
                    meter.receive_ready()  # answer nothing, the client carries on
    assert received == [b"\x7e" + apdu for apdu in apdus]


@settings(max_examples=150)
@given(
    frames=st.lists(
        st.sampled_from(["snrm", "disc", "request", "repeat", "rr", "rnr", "garbage"]), max_size=12
    ),
    apdu=st.binary(min_size=1, max_size=300),
)
def test_any_frame_sequence_in_one_chunk_never_breaks_the_meter(
    frames: list[str], apdu: bytes
) -> None:
    """Frames that change the link's state before the caller answers (a DISC right behind a
    request, a request before the previous answer) never make answering raise."""
    meter = HdlcLink(Role.SERVER, METER)
    chunks = {
        "snrm": SNRM,
        "disc": Frame(METER.encode(), CLIENT.encode(), Control(FrameKind.DISC)).encode(),
        "request": request(apdu, 0),
        "repeat": request(apdu, 1),
        "rr": Frame(METER.encode(), CLIENT.encode(), Control(FrameKind.RR, True, 0, 1)).encode(),
        "rnr": Frame(METER.encode(), CLIENT.encode(), Control(FrameKind.RNR, True, 0, 0)).encode(),
        "garbage": b"\x7e\xa0\x07\x00\x7e",
    }
    meter.receive_data(b"".join(chunks[name] for name in frames), 0)
    while (event := meter.next_event()) is not None:
        if isinstance(event, ApduReceived) and meter.expects_reply:
            meter.send_apdu(apdu[::-1])
    meter.data_to_send()


@settings(max_examples=150)
@given(
    position=st.integers(1, 40), flip=st.integers(1, 255), apdu=st.binary(min_size=1, max_size=30)
)
def test_a_corrupted_frame_is_dropped_and_the_next_one_taken(
    position: int, flip: int, apdu: bytes
) -> None:
    meter = HdlcLink(Role.SERVER, METER)
    meter.receive_data(SNRM, 0)
    assert meter.next_event() == Connected(LinkParameters())
    broken = bytearray(request(b"\x01" + apdu))
    index = position % (len(broken) - 2) + 1  # never the flags themselves
    broken[index] ^= flip
    meter.receive_data(bytes(broken) + request(b"\x02" + apdu), 0)
    events = []
    while (event := meter.next_event()) is not None:
        events.append(event)
    assert ApduReceived(b"\x01" + apdu) not in events
    assert ApduReceived(b"\x02" + apdu) in events
    assert meter.frames_discarded >= 1
