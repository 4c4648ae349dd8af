"""The event log: one line per thing the meter or its devices did, newest at the bottom."""

from __future__ import annotations

from datetime import datetime

from textual.widgets import Log


class EventLogView(Log):
    """Lines ``2026-03-01 12:00:00 relay click closed``; the oldest scroll away past
    ``max_lines``."""

    def __init__(self, max_lines: int = 1000, *, id: str | None = None) -> None:
        super().__init__(max_lines=max_lines, id=id)

    def add_event(self, at: datetime, source: str, text: str) -> None:
        self.write_line(f"{at:%Y-%m-%d %H:%M:%S} {source} {text}")
