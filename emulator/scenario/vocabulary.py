"""The one-line action vocabulary shared by scenario files, ``vmeter record``'s stdin and the
timeline: ``parse_action("press green 5s") == PressButton("green", 5.0)`` and back with
``describe()``.

    load WATTS                       net power from now on (negative = export)
    flow L_PER_H                     gas demand from now on
    press BUTTON [DURATION]          a short press, or a hold (``press green 5s``)
    hold BUTTON DURATION             the same as press with a duration
    card insert AMOUNT [card N]      this meter's card carrying AMOUNT to load (0 = none)
    card insert foreign [card N]     a card bound to another meter (rules B3, B11)
    card remove
    topup AMOUNT [via token]         meter-side top-up through the Token gateway (P6)
    topup AMOUNT via platform        a payment on the central platform (scenario platform:)
    headend read OBIS                a head-end read (management client)
    headend disconnect | reconnect   relay or valve orders (M1, M2; M4 re-enable on gas)
    headend balance AMOUNT [emergency AMOUNT]   central mode: the daily balance update (E7)
    outage DURATION                  a grid outage, then the grid returns (E9)
    breaker trip | breaker rearm     a short circuit behind the meter; re-armed by hand (E9)

Durations: ``90s``, ``30m``, ``6h``, ``2d``, ``1w`` or combined (``1h30m``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from cosem.obis import Obis
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
from firmware.rules.money import Money, MoneyError

DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_DURATION = timedelta(days=3660)
MAX_WATTS = 10**6
MAX_FLOW_L_PER_H = 100_000
MAX_HOLD_S = 600
VIA = ("token", "platform")
HEADEND_ORDERS = ("disconnect", "reconnect")


class VocabularyError(ValueError):
    """A line the vocabulary does not know; the message says what was expected."""


def parse_duration(text: str) -> timedelta:
    """``90s``, ``1h30m``, ``2d``...; raises ``VocabularyError``."""
    text = text.strip()
    parts = DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise VocabularyError(f"expected a duration like 90s, 30m, 6h, 2d or 1h30m, got {text!r}")
    seconds = sum(float(number) * DURATION_UNITS[unit] for number, unit in parts)
    duration = timedelta(seconds=seconds)
    if duration > MAX_DURATION:
        raise VocabularyError(f"duration {text!r} is longer than ten years")
    return duration


def parse_action(line: str) -> Action:
    """One action line; raises ``VocabularyError`` naming what was expected."""
    words = line.split()
    if not words:
        raise VocabularyError("empty action")
    verb, arguments = words[0].lower(), words[1:]
    parser = _PARSERS.get(verb)
    if parser is None:
        raise VocabularyError(f"unknown action {verb!r} (known: {', '.join(_PARSERS)})")
    return parser(arguments)


def _integer(text: str, what: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise VocabularyError(f"{what} must be a whole number, got {text!r}") from None
    if not low <= value <= high:
        raise VocabularyError(f"{what} must be from {low} to {high}, got {value}")
    return value


def _money(text: str) -> Money:
    try:
        return Money.parse(text)
    except MoneyError as error:
        raise VocabularyError(str(error)) from None


def _cents(text: str) -> Money:
    """An amount the 94.32.2 registers carry: whole cents (the emergency credit not negative
    is the meter's check)."""
    amount = _money(text)
    if not amount.is_whole_cents:
        raise VocabularyError(f"the balance registers hold whole cents, got {text}")
    return amount


def _arity(arguments: list[str], low: int, high: int, usage: str) -> None:
    if not low <= len(arguments) <= high:
        raise VocabularyError(f"expected {usage}")


def _load(arguments: list[str]) -> Action:
    _arity(arguments, 1, 1, "load WATTS")
    return SetLoad(_integer(arguments[0], "load", -MAX_WATTS, MAX_WATTS))


def _flow(arguments: list[str]) -> Action:
    _arity(arguments, 1, 1, "flow L_PER_H")
    return SetFlow(_integer(arguments[0], "flow", 0, MAX_FLOW_L_PER_H))


def _press(arguments: list[str]) -> Action:
    _arity(arguments, 1, 2, "press BUTTON [DURATION]")
    if len(arguments) == 1:
        return PressButton(arguments[0].lower())
    return _hold(arguments)


def _hold(arguments: list[str]) -> Action:
    _arity(arguments, 2, 2, "hold BUTTON DURATION")
    seconds = parse_duration(arguments[1]).total_seconds()
    if not 0 < seconds <= MAX_HOLD_S:
        raise VocabularyError(f"a press lasts more than 0s and at most {MAX_HOLD_S}s")
    return PressButton(arguments[0].lower(), seconds)


def _card(arguments: list[str]) -> Action:
    usage = "card insert AMOUNT|foreign [card N], or card remove"
    if arguments == ["remove"]:
        return RemoveCard()
    if len(arguments) not in (2, 4) or arguments[0] != "insert":
        raise VocabularyError(f"expected {usage}")
    card_id = InsertCard.card_id
    if len(arguments) == 4:
        if arguments[2] != "card":
            raise VocabularyError(f"expected {usage}")
        card_id = _integer(arguments[3], "card number", 0, 2**32 - 1)
    if arguments[1] == "foreign":
        return InsertCard(card_id=card_id, foreign=True)
    credit = _money(arguments[1])
    if credit < Money(0):
        raise VocabularyError(f"a card carries no negative credit, got {arguments[1]}")
    return InsertCard(credit, card_id)


def _topup(arguments: list[str]) -> Action:
    usage = f"topup AMOUNT [via {'|'.join(VIA)}]"
    if len(arguments) not in (1, 3) or (len(arguments) == 3 and arguments[1] != "via"):
        raise VocabularyError(f"expected {usage}")
    via = arguments[2] if len(arguments) == 3 else TopUp.via
    if via not in VIA:
        raise VocabularyError(f"expected {usage}, got via {via!r}")
    return TopUp(_money(arguments[0]), via)


def _headend(arguments: list[str]) -> Action:
    usage = "headend read OBIS | disconnect | reconnect | balance AMOUNT [emergency AMOUNT]"
    if not arguments:
        raise VocabularyError(f"expected {usage}")
    operation, rest = arguments[0].lower(), arguments[1:]
    if operation in HEADEND_ORDERS and not rest:
        return HeadendCommand(operation)
    if operation == "read" and len(rest) == 1:
        try:
            return HeadendCommand("read", obis=str(Obis.parse(rest[0])))
        except ValueError as error:
            raise VocabularyError(str(error)) from None
    if operation == "balance" and len(rest) in (1, 3):
        if len(rest) == 3 and rest[1] != "emergency":
            raise VocabularyError(f"expected {usage}")
        emergency = _cents(rest[2]) if len(rest) == 3 else None
        return HeadendCommand("balance", balance=_cents(rest[0]), emergency_credit=emergency)
    raise VocabularyError(f"expected {usage}")


def _outage(arguments: list[str]) -> Action:
    _arity(arguments, 1, 1, "outage DURATION")
    duration = parse_duration(arguments[0])
    if duration <= timedelta(0):
        raise VocabularyError("an outage lasts more than 0s")
    return GridOutage(duration)


def _breaker(arguments: list[str]) -> Action:
    if arguments == ["trip"]:
        return BreakerTrip()
    if arguments == ["rearm"]:
        return RearmBreaker()
    raise VocabularyError("expected breaker trip, or breaker rearm")


_PARSERS: dict[str, Callable[[list[str]], Action]] = {
    "load": _load,
    "flow": _flow,
    "press": _press,
    "hold": _hold,
    "card": _card,
    "topup": _topup,
    "headend": _headend,
    "outage": _outage,
    "breaker": _breaker,
}
