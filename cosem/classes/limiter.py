"""Limiter (class_id 71, version 0) at 0-0:17.0.0.255, bound to a ``PowerLimit``.

Attributes (COSEM-FACTS 2): 1 logical_name, 2 monitored_value {class_id, logical_name,
attribute_index}, 3 threshold_active, 4 threshold_normal, 5 threshold_emergency (the type of
the monitored value: double-long-unsigned W here), 6 min_over_threshold_duration and 7
min_under_threshold_duration (double-long-unsigned s), 8 emergency_profile {id, activation
date-time, duration}, 9 emergency_profile_group_id_list, 10 emergency_profile_active, 11
actions {over {script LN, selector}, under {script LN, selector}}. No methods.

The application supplies one threshold (``PowerLimit``): threshold_active reads and writes it
(management), threshold_normal and threshold_emergency read it (a limiter without emergency
profiles has only the one). What the application has no notion of is served as constants
given at construction: the durations, no emergency profile (id 0, time not specified,
duration 0, empty group list, inactive) and the actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cosem.apdu.enums import DataAccessResult
from cosem.axdr import Data, DataType
from cosem.classes.base import (
    AccessRefused,
    Attribute,
    CosemObject,
    expect_type,
    live,
    logical_name,
)
from cosem.classes.base import static as static_value
from cosem.datetime_codec import CosemDateTime
from cosem.obis import Obis

CLASS_ID = 71
LIMITER_OBIS = Obis(0, 0, 17, 0, 0, 255)
NO_ACTIVATION_TIME = CosemDateTime(None, None, None, None, None, None, None, None, None, None)
MAX_THRESHOLD = 2**32 - 1


class PowerLimit(Protocol):
    def threshold(self) -> int: ...

    def set_threshold(self, value: int) -> None:
        """Raise ``AccessRefused`` for a value the application refuses."""
        ...


@dataclass(frozen=True, slots=True)
class ScriptAction:
    """A script reference: the script table's logical name and the script selector."""

    script: Obis
    selector: int

    def to_data(self) -> Data:
        return Data.structure(
            Data.octet_string(self.script.to_bytes()), Data.long_unsigned(self.selector)
        )


@dataclass(frozen=True, slots=True)
class MonitoredValue:
    class_id: int
    logical_name: Obis
    attribute_index: int

    def to_data(self) -> Data:
        return Data.structure(
            Data.long_unsigned(self.class_id),
            Data.octet_string(self.logical_name.to_bytes()),
            Data.integer(self.attribute_index),
        )


def limiter(
    limit: PowerLimit,
    monitored: MonitoredValue,
    over: ScriptAction,
    under: ScriptAction,
    min_over_s: int = 0,
    min_under_s: int = 0,
    obis: Obis = LIMITER_OBIS,
) -> CosemObject:
    def threshold() -> Data:
        return Data.double_long_unsigned(limit.threshold())

    def set_threshold(value: Data) -> None:
        watts = expect_type(value, DataType.DOUBLE_LONG_UNSIGNED).int_value
        if not 0 <= watts <= MAX_THRESHOLD:
            raise AccessRefused(DataAccessResult.OTHER_REASON, f"threshold {watts} out of range")
        limit.set_threshold(watts)

    no_profile = Data.structure(
        Data.long_unsigned(0),
        Data.octet_string(NO_ACTIVATION_TIME.to_bytes()),
        Data.double_long_unsigned(0),
    )
    return CosemObject(
        CLASS_ID,
        0,
        obis,
        (
            logical_name(obis),
            Attribute(2, static_value(monitored.to_data())),
            Attribute(3, live(threshold), set_threshold),
            Attribute(4, live(threshold)),
            Attribute(5, live(threshold)),
            Attribute(6, static_value(Data.double_long_unsigned(min_over_s))),
            Attribute(7, static_value(Data.double_long_unsigned(min_under_s))),
            Attribute(8, static_value(no_profile)),
            Attribute(9, static_value(Data.array([]))),
            Attribute(10, static_value(Data.boolean(False))),
            Attribute(11, static_value(Data.structure(over.to_data(), under.to_data()))),
        ),
    )
