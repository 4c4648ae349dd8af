"""Hypothesis strategies for A-XDR values, shared by the codec and differential tests."""

from __future__ import annotations

from hypothesis import strategies as st

from cosem.axdr import BitString, Data, DataType

INT_RANGES = {
    DataType.INTEGER: (-(2**7), 2**7 - 1),
    DataType.LONG: (-(2**15), 2**15 - 1),
    DataType.DOUBLE_LONG: (-(2**31), 2**31 - 1),
    DataType.LONG64: (-(2**63), 2**63 - 1),
    DataType.UNSIGNED: (0, 2**8 - 1),
    DataType.LONG_UNSIGNED: (0, 2**16 - 1),
    DataType.DOUBLE_LONG_UNSIGNED: (0, 2**32 - 1),
    DataType.LONG64_UNSIGNED: (0, 2**64 - 1),
    DataType.ENUM: (0, 255),
}


@st.composite
def bit_strings(draw: st.DrawFn) -> BitString:
    bits = draw(st.text(alphabet="01", max_size=40))
    return BitString.from_bits(bits)


def _ints(data_type: DataType) -> st.SearchStrategy[Data]:
    low, high = INT_RANGES[data_type]
    return st.integers(low, high).map(lambda n: Data(data_type, n))


def simple_values(*, ascii_only: bool = False) -> st.SearchStrategy[Data]:
    """Every simple type gurux can also encode (dates and dont-care are tested separately)."""
    text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20)
    utf8 = text if ascii_only else st.text(max_size=10).filter(_encodable)
    return st.one_of(
        st.just(Data.null()),
        st.booleans().map(Data.boolean),
        bit_strings().map(Data.bit_string),
        *(_ints(t) for t in INT_RANGES),
        st.binary(max_size=300).map(Data.octet_string),
        text.map(Data.visible_string),
        utf8.map(Data.utf8_string),
        st.floats(width=32, allow_nan=False).map(Data.float32),
        st.floats(allow_nan=False).map(Data.float64),
    )


def values(*, ascii_only: bool = False) -> st.SearchStrategy[Data]:
    """Nested arrays and structures of simple values."""
    return st.recursive(
        simple_values(ascii_only=ascii_only),
        lambda inner: st.one_of(
            st.lists(inner, max_size=5).map(lambda items: Data.structure(*items)),
            st.lists(inner, max_size=5).map(Data.array),
        ),
        max_leaves=20,
    )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
