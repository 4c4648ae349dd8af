"""IEC 62056-21 sessions (meter and client), checked against pwitab's iec62056-21 library."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from iec62056_21 import messages as reference

from cosem.iec62056_21 import (
    ClientSession,
    ClientState,
    DataSet,
    HdlcRequested,
    Identification,
    Identified,
    Iec21Error,
    MeterSession,
    MeterState,
    OptionRefused,
    OptionSelect,
    ReadoutReceived,
    ReadoutRequested,
    SignOn,
    block_check,
    decode_readout,
    encode_readout,
)

IDENT = Identification("VMT", 9600, "VMETER-0001")
DATA = [
    DataSet("1.8.1", "000021.701", "kWh"),
    DataSet("1.8.2", "000003.000", "kWh"),
    DataSet("0.9.1", "235959"),
]


def test_block_check_matches_the_facts_example() -> None:
    body = b"1.8.1(001234.5*kWh)\r\n!\r\n\x03"
    assert block_check(body) == 0x7A


def test_identification_advertises_hdlc() -> None:
    assert IDENT.encode() == b"/VMT5\\2VMETER-0001\r\n"
    assert Identification.decode(IDENT.encode()) == IDENT
    parsed = reference.IdentificationMessage.from_bytes(IDENT.encode())
    assert (parsed.manufacturer, parsed.switchover_baudrate_char) == ("VMT", "5")


def test_option_select_messages_match_the_reference() -> None:
    assert OptionSelect.mode_e(9600).encode() == b"\x06252\r\n"
    readout = reference.AckOptionSelectMessage(mode_char="0", baud_char="5").to_bytes()
    assert OptionSelect.readout(9600).encode() == readout
    assert OptionSelect.decode(readout) == OptionSelect.readout(9600)


def test_readout_parsed_by_the_reference_library() -> None:
    message = encode_readout(DATA)
    parsed = reference.ReadoutDataMessage.from_bytes(message)
    sets = [d for line in parsed.data_block.data_lines for d in line.data_sets]
    assert [(d.address, d.value, d.unit or "") for d in sets] == [
        (d.address, d.value, d.unit) for d in DATA
    ]
    assert decode_readout(message) == DATA


def test_readout_checksum_failure_is_reported() -> None:
    message = bytearray(encode_readout(DATA))
    message[5] ^= 0x01
    with pytest.raises(Iec21Error, match="checksum"):
        decode_readout(bytes(message))


def test_mode_e_handshake_hands_leftover_bytes_to_hdlc() -> None:
    meter, client = MeterSession(IDENT), ClientSession()
    client.sign_on()
    meter.receive_data(client.data_to_send())
    assert meter.next_event() == SignOn("")
    client.receive_data(meter.data_to_send())
    assert client.next_event() == Identified(IDENT)
    client.select(OptionSelect.mode_e(9600))
    snrm = bytes.fromhex("7EA0070321930F017E")
    meter.receive_data(client.data_to_send() + snrm)
    assert meter.next_event() == HdlcRequested(9600, snrm)
    assert meter.state is MeterState.HDLC and client.state is ClientState.HDLC


def test_mode_c_readout_round_trip_and_back_to_sign_on() -> None:
    meter, client = MeterSession(IDENT), ClientSession()
    client.sign_on()
    meter.receive_data(client.data_to_send())
    client.receive_data(meter.data_to_send())
    client.next_event()
    client.select(OptionSelect.readout(4800))
    meter.receive_data(client.data_to_send())
    assert meter.next_event() == SignOn("")
    assert meter.next_event() == ReadoutRequested(4800)
    meter.send_readout(DATA)
    client.receive_data(meter.data_to_send())
    assert client.next_event() == ReadoutReceived(DATA)
    assert meter.state is MeterState.AWAIT_SIGN_ON


def test_parity_bits_are_ignored_on_the_sign_on() -> None:
    """A software-7E1 peer leaves the even-parity bit in bit 7: read on 7 bits."""
    with_parity = bytes(b | 0x80 if bin(b).count("1") % 2 else b for b in b"/?!\r\n")
    meter = MeterSession(IDENT)
    meter.receive_data(with_parity)
    assert meter.next_event() == SignOn("")


def test_sign_on_for_another_address_is_ignored_and_own_address_answered() -> None:
    meter = MeterSession(IDENT, device_address="12345")
    meter.receive_data(b"/?99999!\r\n")
    assert meter.data_to_send() == b""
    meter.receive_data(b"/?12345!\r\n")
    assert meter.data_to_send() == IDENT.encode()


@pytest.mark.parametrize(
    ("option", "reason"),
    [
        (b"\x06262\r\n", "above the advertised"),
        (b"\x06051\r\n", "not supported"),
        (b"\x06x5y\r\n", "unknown characters"),
    ],
)
def test_unsupported_options_are_refused_with_nak(option: bytes, reason: str) -> None:
    meter = MeterSession(IDENT)
    meter.receive_data(b"/?!\r\n")
    meter.next_event()
    meter.data_to_send()
    meter.receive_data(option)
    event = meter.next_event()
    assert isinstance(event, OptionRefused) and reason in event.reason
    assert meter.data_to_send() == b"\x15"
    assert meter.state is MeterState.AWAIT_SIGN_ON


def test_wrong_identification_is_a_clear_error() -> None:
    client = ClientSession()
    client.sign_on()
    with pytest.raises(Iec21Error, match="not an identification"):
        client.receive_data(b"/hello world\r\n")


@settings(max_examples=150)
@given(noise=st.binary(max_size=200))
def test_noise_never_crashes_the_meter_session(noise: bytes) -> None:
    meter = MeterSession(IDENT)
    meter.receive_data(noise)
    while meter.next_event() is not None:
        pass
    meter.restart()
    meter.receive_data(b"\r\n/?!\r\n")
    assert meter.data_to_send().endswith(IDENT.encode())
