"""Typed reads of an account's saved state (JSON-like values) and of the times its inputs
carry; anything malformed is the caller's own error type, naming the state it came from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime


class StateReader:
    def __init__(self, error: Callable[[str], Exception], state: str) -> None:
        self._error = error
        self._state = state

    def utc(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise self._error(f"a timezone-aware datetime is required, got {moment!r}")
        return moment.astimezone(UTC)

    def text(self, value: object) -> str:
        if not isinstance(value, str):
            raise self._error(f"expected text in {self._state}, got {value!r}")
        return value

    def integer(self, value: object) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._error(f"expected an integer in {self._state}, got {value!r}")
        return value

    def items(self, value: object) -> list[object]:
        if not isinstance(value, list):
            raise self._error(f"expected a list in {self._state}, got {value!r}")
        return value
