"""A gas meter fed by a daily flow schedule from its configuration (rule G1, wall times M7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.config import ConfigError, RunConfig, parse_config
from emulator.runtime import VirtualMeter

HEATING = 'flow: {schedule: [["06:30", 400], ["09:00", 0], ["18:00", 600], ["22:00", 0]]}'
WINTER_MIDNIGHT = datetime(2026, 1, 13, 23, 0, tzinfo=UTC)  # 14 January 00:00 in Brussels
SPRING_MIDNIGHT = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # 29 March: 23 hours


async def metered_dm3(config_text: str, start: datetime, hours: int) -> tuple[int, int]:
    """The volume register and its carried sub-dm3 after ``hours`` of an instant run."""
    config = parse_config(config_text)
    virtual = VirtualMeter(
        config, RunConfig(instant=True, start=start, until=timedelta(hours=hours))
    )
    await virtual.run()
    assert virtual.gas is not None
    register = virtual.gas.metering.register
    return register.dm3, register.carried


async def test_a_day_of_scheduled_flow_integrates_to_its_volume() -> None:  # rule G1
    # 06:30-09:00 at 400 l/h and 18:00-22:00 at 600 l/h: 1000 + 2400 dm3
    assert await metered_dm3(f"kind: gas\n{HEATING}\n", WINTER_MIDNIGHT, 24) == (3400, 0)


async def test_the_schedule_keeps_wall_times_on_the_23_hour_day() -> None:  # rules G1, M7
    assert await metered_dm3(f"kind: gas\n{HEATING}\n", SPRING_MIDNIGHT, 23) == (3400, 0)


async def test_sub_dm3_parts_are_carried_not_rounded() -> None:  # rule G1
    # 1 l/h from 00:00 to 00:30, then nothing: half a litre, carried to the next one
    text = 'kind: gas\nflow: {schedule: [["00:00", 1], ["00:30", 0]]}\n'
    half_a_litre = 1800 * 1000  # the register carries l x ms / h
    assert await metered_dm3(text, WINTER_MIDNIGHT, 24) == (0, half_a_litre)
    assert await metered_dm3(text, WINTER_MIDNIGHT, 48) == (1, 0)


@pytest.mark.parametrize(
    ("flow", "line", "words"),
    [
        ('flow:\n  schedule: [["06:30", -5]]\n', 3, "0 to 100000"),
        ('flow:\n  schedule: [["06:30", 400], ["06:30", 0]]\n', 3, "two entries at the same"),
        ("flow:\n  schedule:\n    - [22:00, 400]\n", 4, "quotes"),
        ("flow:\n  schedule: 400\n", 3, 'flow.schedule must be a list of ["HH:MM", l/h]'),
        ('flow:\n  l_per_h: 5\n  schedule: [["06:30", 400]]\n', 3, "only one of l_per_h"),
    ],
)
def test_a_bad_schedule_names_its_line(flow: str, line: int, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(f"kind: gas\n{flow}", "gas.yaml")
    assert f"gas.yaml:{line}:" in str(caught.value)
    assert words in str(caught.value)


def test_config_init_for_gas_offers_the_schedule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "gas.yaml"
    assert main(["config", "init", "--kind", "gas", "-o", str(path)]) == 0
    text = path.read_text()
    commented = '  # schedule: [["06:30", 400], ["09:00", 0], ["18:00", 600], ["22:00", 0]]'
    assert commented in text
    # uncommented in place of the constant flow, it is a valid file
    chosen = text.replace("  l_per_h: 300", "").replace(commented, commented.replace("# ", ""))
    assert parse_config(chosen).flow.schedule is not None
