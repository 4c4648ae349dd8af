"""Notices a meter hands to whoever pushes them (rule P9): a bounded queue plus listeners.

Both meters keep one: the electricity meter for its meter-side account's P9 notices, the gas
meter for those and its leak-test results. A push service drains ``notices`` or subscribes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

NOTICE_QUEUE_LENGTH = 100
"""Notices kept for pushes until someone drains them; the oldest drop out."""

N = TypeVar("N")


class NoticeQueue(Generic[N]):
    """``notices`` not yet pushed, and the listeners told of each one as it happens."""

    def __init__(self) -> None:
        self.notices: deque[N] = deque(maxlen=NOTICE_QUEUE_LENGTH)
        self._listeners: list[Callable[[N], None]] = []

    def subscribe(self, listener: Callable[[N], None]) -> None:
        self._listeners.append(listener)

    def publish(self, notice: N) -> None:
        self.notices.append(notice)
        for listener in self._listeners:
            listener(notice)
