"""The budget meter's chip card image (rules B3, B4, B11)."""

from datetime import UTC, datetime

import crcmod.predefined
import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware.prepayment.card_image import (
    IMAGE_BYTES,
    CardError,
    CardImage,
    CardRefusal,
    MeterData,
    read_card,
)
from firmware.rules.money import ZERO, Money

METER = "1SAG1100000123"
EUR = Money.parse
SEEN_BY_METER = MeterData(
    written_at=datetime(2026, 3, 2, 18, 30, tzinfo=UTC),
    balance=EUR("-3.20"),
    debt=EUR("12.00"),
    total_loaded=EUR("215.84"),  # B8 item 4
    energy_wh=2_589_000,  # B8 item 6
)
FRESH = CardImage(card_id=7, meter_id=METER, transaction_counter=3, credit_to_load=EUR("50"))


def u(bits: int) -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=(1 << bits) - 1)


meter_data = st.builds(
    MeterData,
    written_at=st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ).map(lambda t: t.replace(microsecond=0)),
    balance=st.integers(min_value=-(1 << 31), max_value=(1 << 31) - 1).map(Money),
    debt=u(32).map(Money),
    total_loaded=u(64).map(Money),
    energy_wh=u(64),
)
cards = st.builds(
    CardImage,
    card_id=u(32),
    meter_id=st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=16
    ),
    transaction_counter=u(32),
    credit_to_load=u(32).map(Money),
    meter_data=st.none() | meter_data,
)


@given(cards)
def test_parse_of_build_is_the_same_card(card: CardImage) -> None:
    raw = card.build()
    assert len(raw) == IMAGE_BYTES
    assert CardImage.parse(raw) == card


@given(
    st.one_of(
        st.binary(max_size=2 * IMAGE_BYTES), st.binary(min_size=IMAGE_BYTES, max_size=IMAGE_BYTES)
    )
)
def test_garbage_only_ever_raises_the_card_error(garbage: bytes) -> None:
    # bad input never crashes a serving meter: the card is refused (B3: display 8)
    try:
        CardImage.parse(garbage)
    except CardError as error:
        assert isinstance(error.reason, CardRefusal)


@given(cards, st.integers(min_value=0, max_value=8 * IMAGE_BYTES - 1))
def test_any_single_bit_flip_is_refused(card: CardImage, bit: int) -> None:
    raw = bytearray(card.build())
    raw[bit // 8] ^= 0x80 >> (bit % 8)
    with pytest.raises(CardError) as refused:
        CardImage.parse(bytes(raw))
    assert refused.value.reason in (CardRefusal.BAD_CHECKSUM, CardRefusal.MALFORMED)


def test_a_card_inserted_the_wrong_way_is_recognised() -> None:
    # rule B3: display 8, badly inserted
    with pytest.raises(CardError) as refused:
        CardImage.parse(FRESH.build()[::-1])
    assert refused.value.reason is CardRefusal.REVERSED_INSERTION


def test_a_card_bound_to_another_meter_is_refused() -> None:
    # rules B3, B11: a card is bound to one meter
    with pytest.raises(CardError) as refused:
        read_card(FRESH.build(), "1SAG1100000999", last_counter=2)
    assert refused.value.reason is CardRefusal.WRONG_METER


def test_a_replaced_card_is_refused() -> None:
    # rule B11: a lost card is replaced; the previous occupant's card must never be used
    with pytest.raises(CardError) as refused:
        read_card(FRESH.build(), METER, last_counter=2, revoked_cards={7})
    assert refused.value.reason is CardRefusal.REVOKED_CARD


def test_a_copy_of_an_already_loaded_card_is_refused() -> None:
    # a load is taken once: the same transaction counter offering credit again is a replay
    copy = FRESH.build()
    assert read_card(copy, METER, last_counter=2) == FRESH
    with pytest.raises(CardError) as refused:
        read_card(copy, METER, last_counter=3)
    assert refused.value.reason is CardRefusal.REPLAYED_COUNTER


def test_load_insert_write_back_reload_cycle() -> None:
    # rules B3, B4: the shop loads, the meter takes the credit and writes back, the shop reloads
    at_meter = read_card(FRESH.build(), METER, last_counter=2)
    assert at_meter.credit_to_load == EUR("50")
    written = at_meter.written_back(SEEN_BY_METER)
    assert written.credit_to_load == ZERO
    # inserting it again (two beeps) offers no credit and is not a replay
    again = read_card(written.build(), METER, last_counter=3)
    assert again.meter_data == SEEN_BY_METER
    reloaded = again.loaded(EUR("20"))
    assert (reloaded.transaction_counter, reloaded.credit_to_load) == (4, EUR("20"))
    assert reloaded.meter_data is None
    assert read_card(reloaded.build(), METER, last_counter=3).credit_to_load == EUR("20")


def test_the_terminal_refuses_a_card_not_written_back() -> None:
    # rule B4: insert the card in the meter once before reloading
    with pytest.raises(CardError) as refused:
        FRESH.loaded(EUR("20"))
    assert refused.value.reason is CardRefusal.NOT_WRITTEN_BACK


@pytest.mark.parametrize(
    "fields",
    [
        {"card_id": -1},
        {"card_id": 1 << 32},
        {"meter_id": ""},
        {"meter_id": "X" * 17},
        {"meter_id": "caf\u00e9"},
        {"meter_id": "A\x00B"},
        {"credit_to_load": EUR("-1")},
    ],
)
def test_cards_that_cannot_be_written_are_refused(fields: dict[str, object]) -> None:
    values: dict[str, object] = {
        "card_id": 1,
        "meter_id": METER,
        "transaction_counter": 0,
        "credit_to_load": ZERO,
    } | fields
    with pytest.raises(CardError):
        CardImage(**values)  # type: ignore[arg-type]


def with_crc(body: bytes) -> bytes:
    crc: int = crcmod.predefined.mkCrcFun("x-25")(body)
    return body + crc.to_bytes(2, "big")


@given(st.binary(min_size=IMAGE_BYTES - 7, max_size=IMAGE_BYTES - 7))
def test_garbage_with_a_valid_header_and_crc_only_ever_raises_the_card_error(rest: bytes) -> None:
    # a card that passes the checksum but carries nonsense fields is still only refused
    try:
        CardImage.parse(with_crc(b"VMBC\x01" + rest))
    except CardError as error:
        assert isinstance(error.reason, CardRefusal)


def test_a_write_back_time_beyond_the_calendar_is_malformed() -> None:
    body = bytearray(FRESH.written_back(SEEN_BY_METER).build()[:-2])
    time_at = IMAGE_BYTES - 2 - 32  # the meter data block: time first
    body[time_at : time_at + 8] = b"\xff" * 8
    with pytest.raises(CardError) as refused:
        CardImage.parse(with_crc(bytes(body)))
    assert refused.value.reason is CardRefusal.MALFORMED
