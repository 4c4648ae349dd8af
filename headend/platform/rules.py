"""The credit rules as the platform applies them, in milli-cents (rule M5).

The amounts come from `firmware.rules.credit.CreditRules`, the one place meter and platform
share; only their integer milli-cent values cross into the head-end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from firmware.rules.credit import DEFAULT_RULES, CreditRules, MeterKind
from firmware.rules.non_disconnect import DEFAULT_CALENDAR, NonDisconnectCalendar


@dataclass(frozen=True, slots=True)
class PlatformRules:
    """P1-P3, P6, P8 amounts in milli-cents and the P5 non-disconnect calendar."""

    low_credit_threshold: int  # P2
    emergency_credit: int  # P3
    reconnection_threshold: int  # P8
    top_up_min: int  # P6
    top_up_max: int  # P6
    starting_credit: int  # P1
    daily_repayment: int  # P1
    calendar: NonDisconnectCalendar = field(default=DEFAULT_CALENDAR)  # P5

    @classmethod
    def from_credit_rules(
        cls, rules: CreditRules = DEFAULT_RULES, calendar: NonDisconnectCalendar = DEFAULT_CALENDAR
    ) -> PlatformRules:
        return cls(
            low_credit_threshold=rules.low_credit_threshold.milli_cents,
            emergency_credit=rules.emergency_credit(MeterKind.SMART).milli_cents,
            reconnection_threshold=rules.reconnection_threshold.milli_cents,
            top_up_min=rules.top_up_min.milli_cents,
            top_up_max=rules.top_up_max.milli_cents,
            starting_credit=rules.starting_credit.milli_cents,
            daily_repayment=rules.daily_repayment.milli_cents,
            calendar=calendar,
        )


DEFAULT_PLATFORM_RULES = PlatformRules.from_credit_rules()
