"""The action vocabulary: every action's line reads back as the same action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.scenario.model import (
    Action,
    BreakerTrip,
    GridOutage,
    HeadendCommand,
    InsertCard,
    PressButton,
    RearmBreaker,
    RemoveCard,
    SetFlow,
    SetLoad,
    TopUp,
)
from emulator.scenario.vocabulary import VocabularyError, parse_action, parse_duration
from firmware.rules.money import Money

money = st.integers(0, 10**9).map(Money)
cents = st.integers(-(10**6), 10**6).map(lambda count: Money(count * 1000))
actions: st.SearchStrategy[Action] = st.one_of(
    st.integers(-(10**6), 10**6).map(SetLoad),
    st.integers(0, 100_000).map(SetFlow),
    st.builds(
        PressButton,
        st.sampled_from(["green", "red", "blue", "euro", "arrow", "m3"]),
        st.integers(1, 600).map(float) | st.just(0.2),
    ),
    st.builds(InsertCard, money, st.integers(0, 2**32 - 1), st.just(False)),
    st.builds(InsertCard, st.just(Money(0)), st.integers(0, 2**32 - 1), st.just(True)),
    st.just(RemoveCard()),
    st.builds(TopUp, money, st.sampled_from(["token", "platform"])),
    st.sampled_from([HeadendCommand("disconnect"), HeadendCommand("reconnect")]),
    st.builds(
        HeadendCommand, st.just("read"), st.sampled_from(["1-0:1.8.1.255", "0-1:24.2.3.255"])
    ),
    st.builds(HeadendCommand, st.just("balance"), balance=cents, emergency_credit=cents),
    st.builds(HeadendCommand, st.just("balance"), balance=cents),
    st.integers(1, 10**7).map(lambda s: GridOutage(timedelta(seconds=s))),
    st.just(BreakerTrip()),
    st.just(RearmBreaker()),
)


@given(actions)
def test_describe_reads_back_as_the_same_action(action: Action) -> None:
    assert parse_action(action.describe()) == action


@pytest.mark.parametrize(
    ("line", "action"),
    [
        ("hold green 5s", PressButton("green", 5.0)),
        ("press  Blue", PressButton("blue")),
        ("headend read 1.8.1", HeadendCommand("read", obis="1-0:1.8.1.255")),
        ("card insert foreign card 7", InsertCard(card_id=7, foreign=True)),
        ("outage 1h30m", GridOutage(timedelta(minutes=90))),
    ],
)
def test_spellings(line: str, action: Action) -> None:
    assert parse_action(line) == action


@pytest.mark.parametrize(
    "line",
    [
        "",
        "dance",
        "load",
        "load 2kW",
        "press",
        "press green forever",
        "hold green",
        "card",
        "card insert -5",
        "topup 20 via bank",
        "headend",
        "headend read 1.8",
        "headend balance 1.005",
        "outage 0s",
        "breaker",
        "press green 601s",
    ],
)
def test_bad_lines(line: str) -> None:
    with pytest.raises(VocabularyError):
        parse_action(line)


def test_durations() -> None:
    assert parse_duration("1w2d3h4m5s") == timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)
    for bad in ("", "5", "h", "5 h", "-5s", "5y"):
        with pytest.raises(VocabularyError):
            parse_duration(bad)
