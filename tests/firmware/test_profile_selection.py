"""Selective access helpers the COSEM Profile generic uses (by time range, by entry index)."""

from __future__ import annotations

from datetime import timedelta

from meter_rig import WINTER_NOON, build_rig

from firmware.logs import select_by_index, select_by_time


def test_select_profile_entries_by_time_and_by_index() -> None:  # rule E3
    rig = build_rig()
    rig.run_to(WINTER_NOON + timedelta(hours=2))
    entries = rig.meter.load_profile_for_release()
    assert len(entries) == 8
    hour = select_by_time(
        entries, WINTER_NOON + timedelta(hours=1), WINTER_NOON + timedelta(hours=2)
    )
    assert [e.values.import_peak for e in hour] == [1000, 1250, 1500, 1750, 2000]
    assert select_by_index(entries, 1, 2) == entries[:2]
    assert select_by_index(entries, 7, 0) == entries[6:]
    assert select_by_index(entries, 5, 100) == entries[4:]
