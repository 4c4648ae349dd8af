"""What the electricity meter tells about its supply (rule E9): the grid went down (its last
gasp before it stops counting) and came back (it starts again by itself). They travel with the
P9 notices (``MeterNotice``), so a push service subscribed once hears both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from firmware.prepayment.account_events import Notice


@dataclass(frozen=True, slots=True)
class GridOutage:
    """E9: the grid went down; nothing is counted until it returns."""

    at: datetime
    text: ClassVar[str] = "grid outage, power down"


@dataclass(frozen=True, slots=True)
class GridReturn:
    """E9: the grid is back; the meter resumes, its relay as it was."""

    at: datetime
    text: ClassVar[str] = "grid return, power up"


MeterNotice = Notice | GridOutage | GridReturn
"""What ``ElectricityMeter.notices`` holds and its listeners receive."""
