"""The four energy registers (rule E1): integer milli-joules inside, integer Wh outside."""

from __future__ import annotations

from typing import NamedTuple

MJ_PER_WH = 3_600_000  # 1 Wh = 3600 J = 3,600,000 mJ (W x ms)


class RegisterValues(NamedTuple):
    """Register values, in Wh when released (or mJ inside the firmware)."""

    import_peak: int = 0  # 1.8.1
    import_offpeak: int = 0  # 1.8.2
    export_peak: int = 0  # 2.8.1
    export_offpeak: int = 0  # 2.8.2

    def by_obis(self) -> dict[str, int]:
        """``{"1.8.1": ..., "1.8.2": ..., "2.8.1": ..., "2.8.2": ...}``."""
        return dict(zip(("1.8.1", "1.8.2", "2.8.1", "2.8.2"), self, strict=True))

    def to_wh(self) -> RegisterValues:
        """Milli-joules to whole Wh (the sub-Wh remainder stays inside)."""
        return RegisterValues(*(value // MJ_PER_WH for value in self))
