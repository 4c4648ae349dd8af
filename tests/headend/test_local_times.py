"""Times on the head-end's command line read as the meter shows them: without an offset an ISO
time is Brussels local time, in winter and in summer (rule M7); with one it is taken as given."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest

from headend.meter_verbs import moment


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-03-02T12:00", datetime(2026, 3, 2, 11, 0, tzinfo=UTC)),  # CET
        ("2026-07-01T12:00", datetime(2026, 7, 1, 10, 0, tzinfo=UTC)),  # CEST
        ("2026-07-01T12:00+00:00", datetime(2026, 7, 1, 12, 0, tzinfo=UTC)),
    ],
)
def test_an_iso_time_without_offset_is_brussels_local_time(text: str, utc: datetime) -> None:
    assert moment(text) == utc


def test_a_time_that_is_not_iso_is_a_usage_error() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="not an ISO 8601 time"):
        moment("next tuesday")
