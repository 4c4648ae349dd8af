"""``vmeter run --kind gas``: the gas meter on the run loop, its config and its NVM (rule G1)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.config import (
    ConfigError,
    RunConfig,
    default_config_text,
    load_config,
    parse_config,
)
from emulator.runtime import VirtualMeter
from hal.valve import ValvePosition

START = datetime(2026, 1, 14, 11, 0, tzinfo=UTC)


def gas_config(l_per_h: int) -> str:
    return default_config_text("gas").replace("l_per_h: 300", f"l_per_h: {l_per_h}")


async def test_an_instant_day_meters_the_flow_integral() -> None:
    # rule G1: 300 l/h for 24 h is 7200 dm3, exactly, with the profile every quarter hour
    config = parse_config(gas_config(300))
    virtual = VirtualMeter(config, RunConfig(instant=True, start=START, until=timedelta(days=1)))
    await virtual.run()
    assert virtual.gas is not None
    assert virtual.gas.volume_dm3 == 7200
    assert len(virtual.gas.metering.profile) == 96
    assert virtual.hal.lcd.state.code == "24.2.1"
    assert virtual.hal.lcd.state.value == "00007.200"


async def test_a_closed_valve_stops_the_volume() -> None:
    # rule M2: after a prepayment cut nothing passes, nothing is metered
    config = parse_config(gas_config(600))
    virtual = VirtualMeter(config, RunConfig(instant=True, start=START))
    gas = virtual.gas
    assert gas is not None
    results = []
    virtual.schedule(START + timedelta(hours=1), lambda: results.append(gas.remote_disconnect()))
    await virtual.run(START + timedelta(hours=3))
    assert [result.accepted for result in results] == [True]
    assert virtual.hal.valve is not None
    assert virtual.hal.valve.position is ValvePosition.CLOSED
    assert gas.volume_dm3 == 600


def test_cli_instant_day_exits_0_and_prints_the_m3_home_screen(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # rule G1: the default flow (300 l/h) for a day; the LCD lines show m3 on 24.2.1
    args = ["run", "--kind", "gas", "--instant", "--until", "+1d", "--no-tcp"]
    assert main([*args, "--start", "2026-01-14T12:00"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "24.2.1" in last and "00007.200 m3" in last


def test_the_volume_survives_a_restart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # rule G1: registers never go backwards; a second run continues from the saved volume
    path = tmp_path / "gas.yaml"
    path.write_text(gas_config(1000))
    state = tmp_path / "state"
    common = ["run", "--config", str(path), "--no-tcp", "--instant", "--state", str(state)]
    assert main([*common, "--start", "2026-01-14T12:00", "--until", "+90m"]) == 0
    assert main([*common, "--start", "2026-01-14T14:00", "--until", "+1h"]) == 0
    assert "00002.500 m3" in capsys.readouterr().out.strip().splitlines()[-1]


def test_electricity_refuses_the_gas_sections() -> None:
    with pytest.raises(ConfigError, match="flow section is for kind gas"):
        parse_config("kind: electricity\nflow: {l_per_h: 10}\n")
    with pytest.raises(ConfigError, match="from 0 to 100000, got -1"):
        parse_config("kind: gas\nflow: {l_per_h: -1}\n")


def test_a_gas_meter_has_no_electricity_core() -> None:
    virtual = VirtualMeter(parse_config(gas_config(0)), RunConfig(instant=True, start=START))
    with pytest.raises(ConfigError, match="no electricity metering core"):
        virtual.meter.advance_to(START)
    virtual.shutdown()


async def test_the_configured_leak_test_button_and_duration_reopen_the_valve() -> None:
    # rule G3: the press of the configured button starts the configured test; no flow passes it
    text = (
        gas_config(0).replace("button: arrow", "button: m3").replace("seconds: 360", "seconds: 60")
    )
    virtual = VirtualMeter(parse_config(text), RunConfig(instant=True, start=START))
    gas, valve = virtual.gas, virtual.hal.valve
    assert gas is not None and valve is not None
    assert gas.remote_disconnect().accepted and gas.remote_reconnect().accepted
    virtual.hal.buttons.press("m3")
    assert valve.position is ValvePosition.TEST
    await virtual.run(START + timedelta(seconds=60))
    assert [event.detail for event in valve.recorder.of_kind("move")] == ["closed", "test", "open"]


def test_leak_test_settings_are_checked_with_their_line() -> None:
    with pytest.raises(ConfigError, match="<config>:2"):
        parse_config("kind: gas\nleak_test: {button: red}\n")
    with pytest.raises(ConfigError, match="leak_test section is for kind gas"):
        parse_config("kind: budget\nleak_test: {seconds: 60}\n")


def test_a_released_volume_survives_a_crash(tmp_path: Path) -> None:
    # rule G1: a value a client has read is saved before it leaves, so no crash undoes it
    config = parse_config(gas_config(300))
    run = RunConfig(instant=True, start=START, state=tmp_path)
    first = VirtualMeter(config, run)
    assert first.gas is not None and first.simulated_clock is not None
    first.simulated_clock.advance_to(START + timedelta(hours=1))
    assert first.gas.volume_for_release() == 300
    # no shutdown: the power is lost here
    second = VirtualMeter(config, replace(run, start=START + timedelta(hours=2)))
    assert second.gas is not None and second.gas.volume_dm3 == 300


async def test_a_csv_flow_is_metered_quarter_by_quarter(tmp_path: Path) -> None:
    # rule G1: 400 l/h then 800 l/h for a quarter hour each, nothing after the last row
    (tmp_path / "flow.csv").write_text(
        "timestamp,l_per_h\n2026-01-14T12:00:00+01:00,400\n2026-01-14T12:15:00+01:00,800\n"
    )
    (tmp_path / "gas.yaml").write_text("kind: gas\nflow: {csv: flow.csv}\n")
    config = load_config(tmp_path / "gas.yaml")
    virtual = VirtualMeter(config, RunConfig(instant=True, start=START))
    await virtual.run(START + timedelta(hours=2))
    assert virtual.gas is not None and virtual.gas.volume_dm3 == 100 + 200
    with pytest.raises(ConfigError, match="only one of l_per_h, schedule, csv"):
        parse_config("kind: gas\nflow: {l_per_h: 1, csv: flow.csv}\n")
