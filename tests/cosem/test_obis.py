"""OBIS parsing and printing (issue: `1-0:1.8.1.255` and `1.8.1`)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cosem.errors import DecodeError
from cosem.obis import Obis

ENERGY_IMPORT = Obis(1, 0, 1, 8, 1, 255)


@pytest.mark.parametrize(
    "text",
    ["1-0:1.8.1.255", "1.8.1", "1.0.1.8.1.255", "1-0:1.8.1", "1-0:1.8.1*255", " 1.8.1 "],
)
def test_every_accepted_spelling_names_the_same_register(text: str) -> None:
    assert Obis.parse(text) == ENERGY_IMPORT


def test_abstract_objects_are_written_in_full() -> None:
    assert Obis.parse("0-0:96.1.0.255") == Obis(0, 0, 96, 1, 0, 255)
    assert Obis.parse("0.0.96.1.0.255") == Obis(0, 0, 96, 1, 0, 255)


def test_prints_in_the_standard_form() -> None:
    assert str(Obis.parse("1.8.1")) == "1-0:1.8.1.255"


@pytest.mark.parametrize(
    "text", ["", "1.8", "1-0:1.8", "1.2.3.4", "a.b.c", "1-0:1.8.1.256", "1..8"]
)
def test_garbage_is_refused_with_a_hint(text: str) -> None:
    with pytest.raises(ValueError, match=r"OBIS|range"):
        Obis.parse(text)


def test_bytes_round_trip_and_length_check() -> None:
    assert ENERGY_IMPORT.to_bytes() == bytes.fromhex("0100010801FF")
    assert Obis.from_bytes(bytes.fromhex("0100010801FF")) == ENERGY_IMPORT
    with pytest.raises(DecodeError):
        Obis.from_bytes(b"\x01\x00")


@given(st.tuples(*[st.integers(0, 255)] * 6))
def test_text_and_bytes_round_trip(groups: tuple[int, ...]) -> None:
    obis = Obis(*groups)
    assert Obis.parse(str(obis)) == obis
    assert Obis.from_bytes(obis.to_bytes()) == obis
    assert hash(obis) == hash(Obis(*groups))
