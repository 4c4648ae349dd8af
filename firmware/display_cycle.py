"""The display cycle (rules E5, E6) as a small state machine over an ordered list of items.

Idle, the indexes scroll by themselves. The green button: first press shows the test screen
(all segments), each further press the next item, wrapping around. The backlight goes off
``backlight_seconds`` after the last press, and the display goes back to scrolling. Times are
integer milliseconds since the epoch; items are codes, the meter turns them into screens.
"""

from __future__ import annotations

from enum import Enum

from firmware.errors import FirmwareError
from firmware.settings import REGISTER_ITEMS, DisplaySettings

TEST_SCREEN = "test"


class DisplayMode(Enum):
    AUTO_SCROLL = "auto_scroll"
    TEST = "test"
    ITEM = "item"


class DisplayCycle:
    def __init__(self, settings: DisplaySettings, now_ms: int) -> None:
        if not settings.items:
            raise FirmwareError("the display list is empty")
        self.items = settings.items
        self.scrolled = tuple(item for item in settings.items if item in REGISTER_ITEMS) or (
            settings.items[0],
        )
        self._scroll_ms = settings.scroll_seconds * 1000
        self._backlight_ms = settings.backlight_seconds * 1000
        self.mode = DisplayMode.AUTO_SCROLL
        self.index = 0
        self._scroll_origin_ms = now_ms
        self._backlight_off_ms: int | None = None

    @property
    def backlight(self) -> bool:
        return self._backlight_off_ms is not None

    def press(self, now_ms: int) -> None:
        """A short press of the green button: test screen, then the next item (rule E6)."""
        self.update(now_ms)
        if self.mode is DisplayMode.AUTO_SCROLL:
            self.mode = DisplayMode.TEST
        elif self.mode is DisplayMode.TEST:
            self.mode, self.index = DisplayMode.ITEM, 0
        else:
            self.index = (self.index + 1) % len(self.items)
        self.wake(now_ms)

    def wake(self, now_ms: int) -> None:
        """Any button activity lights the backlight for ``backlight_seconds``."""
        self._backlight_off_ms = now_ms + self._backlight_ms

    def update(self, now_ms: int) -> None:
        """Apply the backlight timeout if it has passed (back to auto-scroll from then)."""
        if self._backlight_off_ms is not None and now_ms >= self._backlight_off_ms:
            self._scroll_origin_ms = self._backlight_off_ms
            self._backlight_off_ms = None
            self.mode = DisplayMode.AUTO_SCROLL

    def current_item(self, now_ms: int) -> str:
        """The item code shown at ``now_ms`` (``TEST_SCREEN`` for the test screen)."""
        if self.mode is DisplayMode.TEST:
            return TEST_SCREEN
        if self.mode is DisplayMode.ITEM:
            return self.items[self.index]
        if self._scroll_ms == 0:
            return self.scrolled[0]
        step = (now_ms - self._scroll_origin_ms) // self._scroll_ms
        return self.scrolled[step % len(self.scrolled)]

    def next_deadline(self, now_ms: int, include_scroll: bool) -> int | None:
        """The next instant the display changes by itself: backlight off, or a scroll step."""
        candidates = []
        if self._backlight_off_ms is not None:
            candidates.append(self._backlight_off_ms)
        elif include_scroll and self._scroll_ms and len(self.scrolled) > 1:
            elapsed = now_ms - self._scroll_origin_ms
            candidates.append(
                self._scroll_origin_ms + (elapsed // self._scroll_ms + 1) * self._scroll_ms
            )
        return min(candidates, default=None)
