"""TCP wrapper framing (COSEM-FACTS 5.6): header layout, stream reassembly, bad streams."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cosem.errors import DecodeError, EncodeError
from cosem.wrapper import WrapperDecoder, WrapperFrame, encode_wrapper

GET_CLOCK = bytes.fromhex("C001C100080000010000FF0200")


def test_gurux_get_example() -> None:
    raw = encode_wrapper(16, 1, GET_CLOCK)
    assert raw == bytes.fromhex("0001 0010 0001 000D") + GET_CLOCK
    assert WrapperDecoder().feed(raw) == [WrapperFrame(16, 1, GET_CLOCK)]


@given(
    st.lists(st.binary(max_size=200), min_size=1, max_size=5),
    st.lists(st.integers(1, 50), min_size=1, max_size=20),
)
def test_frames_survive_any_split_of_the_stream(apdus: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(encode_wrapper(1, 16, apdu) for apdu in apdus)
    decoder = WrapperDecoder()
    frames: list[WrapperFrame] = []
    position = 0
    for cut in cuts * (len(stream) // max(1, sum(cuts)) + 1):
        frames += decoder.feed(stream[position : position + cut])
        position += cut
    frames += decoder.feed(stream[position:])
    assert [f.apdu for f in frames] == apdus
    assert decoder.pending == 0


def test_bad_version_breaks_the_stream_for_good() -> None:
    decoder = WrapperDecoder()
    with pytest.raises(DecodeError, match="version"):
        decoder.feed(bytes.fromhex("0002 0010 0001 0000"))
    with pytest.raises(DecodeError):
        decoder.feed(encode_wrapper(16, 1, GET_CLOCK))


def test_absurd_length_is_refused_before_buffering() -> None:
    decoder = WrapperDecoder(max_apdu=2048)
    with pytest.raises(DecodeError, match="length"):
        decoder.feed(bytes.fromhex("0001 0010 0001 FFFF"))


def test_oversized_apdu_cannot_be_framed() -> None:
    with pytest.raises(EncodeError):
        encode_wrapper(16, 1, bytes(0x10000))
    with pytest.raises(EncodeError):
        encode_wrapper(0x10000, 1, b"")


@given(st.binary(max_size=100))
def test_garbage_stream_yields_frames_or_decode_error(stream: bytes) -> None:
    decoder = WrapperDecoder(max_apdu=2048)
    try:
        frames = decoder.feed(stream)
    except DecodeError:
        return
    assert sum(8 + len(f.apdu) for f in frames) + decoder.pending == len(stream)
