"""Top-up tokens entered through the Token gateway (rule P6, M5; COSEM class 115)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware.rules.money import Money
from firmware.rules.token import (
    MAX_SEQ,
    TOKEN_BYTES,
    TokenError,
    TokenStatus,
    make_token,
    verify_token,
)

KEY = bytes(range(16))
SERIAL = "1SAG1100000123"
EUR = Money.parse

keys = st.binary(min_size=16, max_size=32)
serials = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=16)
top_ups = st.integers(min_value=500, max_value=25_000).map(lambda cents: Money.eur(0, cents))
sequences = st.integers(min_value=0, max_value=MAX_SEQ)


def test_a_token_is_28_hex_digits_a_person_can_type() -> None:
    token = make_token(KEY, SERIAL, 1, EUR("20.00"))
    assert len(token.replace("-", "")) == 2 * TOKEN_BYTES == 28
    assert all(len(group) == 4 for group in token.split("-"))
    typed = token.replace("-", " ").lower()
    assert verify_token(KEY, SERIAL, 0, typed).accepted


@given(keys, serials, sequences, top_ups)
def test_round_trip_credits_the_amount_once(
    key: bytes, serial: str, seq: int, amount: Money
) -> None:
    # rule P6: amounts 5.00 to 250.00 EUR
    token = make_token(key, serial, seq, amount)
    check = verify_token(key, serial, seq - 1 if seq else None, token)
    assert check.status is TokenStatus.ACCEPTED
    assert (check.amount, check.seq) == (amount, seq)
    assert verify_token(key, serial, seq, token).status is TokenStatus.REPLAYED


@given(keys, serials, sequences, top_ups, st.integers(min_value=0, max_value=8 * TOKEN_BYTES - 1))
def test_any_single_bit_flip_is_refused(
    key: bytes, serial: str, seq: int, amount: Money, bit: int
) -> None:
    raw = bytearray(bytes.fromhex(make_token(key, serial, seq, amount).replace("-", "")))
    raw[bit // 8] ^= 0x80 >> (bit % 8)
    check = verify_token(key, serial, None, raw.hex())
    assert not check.accepted
    assert check.status in (TokenStatus.MALFORMED, TokenStatus.WRONG_METER, TokenStatus.BAD_MAC)


def test_refusal_reasons_are_distinct() -> None:
    token = make_token(KEY, SERIAL, 7, EUR("20.00"))
    assert verify_token(KEY, "1SAG1100000999", None, token).status is TokenStatus.WRONG_METER
    assert verify_token(bytes(16), SERIAL, None, token).status is TokenStatus.BAD_MAC
    assert verify_token(KEY, SERIAL, 7, token).status is TokenStatus.REPLAYED
    assert verify_token(KEY, SERIAL, 9, token).status is TokenStatus.REPLAYED
    assert verify_token(KEY, SERIAL, 6, token).status is TokenStatus.ACCEPTED
    assert verify_token(KEY, SERIAL, None, token[:-1]).status is TokenStatus.MALFORMED


@pytest.mark.parametrize("amount", ["4.99", "250.01", "0.00"])
def test_amounts_outside_5_to_250_eur_are_refused(amount: str) -> None:
    # rule P6
    check = verify_token(KEY, SERIAL, None, make_token(KEY, SERIAL, 1, EUR(amount)))
    assert check.status is TokenStatus.AMOUNT_OUT_OF_RANGE
    assert check.amount == EUR(amount)


def test_statuses_map_to_token_gateway_codes() -> None:
    # COSEM-FACTS 3.4 token_status_code
    assert TokenStatus.ACCEPTED.cosem_status_code == 2
    assert TokenStatus.MALFORMED.cosem_status_code == 4
    assert TokenStatus.BAD_MAC.cosem_status_code == TokenStatus.WRONG_METER.cosem_status_code == 5
    assert TokenStatus.REPLAYED.cosem_status_code == 6
    assert TokenStatus.AMOUNT_OUT_OF_RANGE.cosem_status_code == 6


@given(st.one_of(st.text(max_size=60), st.binary(max_size=60)))
def test_garbage_is_refused_never_raised(garbage: str | bytes) -> None:
    # bad input never crashes a serving meter
    assert not verify_token(KEY, SERIAL, None, garbage).accepted


def test_received_octet_string_tokens_are_read_as_ascii() -> None:
    # the Token gateway's enter(token) method receives an octet-string
    token = make_token(KEY, SERIAL, 3, EUR("50.00"))
    assert verify_token(KEY, SERIAL, 2, token.encode()).accepted
    assert verify_token(KEY, SERIAL, 2, b"\xff" * 28).status is TokenStatus.MALFORMED


@pytest.mark.parametrize(
    ("key", "serial", "seq", "amount"),
    [
        (bytes(15), SERIAL, 1, "20"),
        (KEY, "", 1, "20"),
        (KEY, SERIAL, -1, "20"),
        (KEY, SERIAL, MAX_SEQ + 1, "20"),
        (KEY, SERIAL, 1, "20.005"),
        (KEY, SERIAL, 1, "-5"),
    ],
)
def test_tokens_that_cannot_be_made_are_refused(
    key: bytes, serial: str, seq: int, amount: str
) -> None:
    with pytest.raises(TokenError):
        make_token(key, serial, seq, EUR(amount))
