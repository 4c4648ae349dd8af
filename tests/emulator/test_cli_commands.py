"""The vmeter command line: help, config init, run, demo, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.cli import COMMANDS, main
from firmware.nvm import NonVolatileMemory


def test_help_of_every_sub_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    for command in COMMANDS:
        with pytest.raises(SystemExit):
            main([command.name, "--help"])
        assert "usage: vmeter" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    for option in ("--config", "--state", "--speed", "--instant", "--start", "--until", "--load"):
        assert option in out


def test_config_init_writes_a_file_run_accepts(tmp_path: Path) -> None:
    path = tmp_path / "meter.yaml"
    assert main(["config", "init", "--kind", "electricity", "-o", str(path)]) == 0
    assert main(["config", "init", "-o", str(path)]) == 2  # exists, no --force
    assert (
        main(
            [
                "run",
                "--config",
                str(path),
                "--no-tcp",
                "--instant",
                "--start",
                "2026-01-14T12:00",
                "--until",
                "+2h",
                "--load-watts",
                "1500",
            ]
        )
        == 0
    )


def test_run_saves_state_and_a_second_run_continues(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["run", "--no-tcp", "--instant", "--state", str(tmp_path), "--load-watts", "1000"]
    assert main([*common, "--start", "2026-01-14T12:00", "--until", "+1h"]) == 0
    assert main([*common, "--start", "2026-01-14T13:00", "--until", "+1h"]) == 0
    state = NonVolatileMemory(tmp_path).load()
    assert state is not None and state.registers_mj.to_wh().import_peak == 2000
    assert "000001.000 kWh" in capsys.readouterr().out


def test_a_bad_config_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("kind: electricity\nwat: 1\n")
    assert main(["run", "--config", str(path)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "bad.yaml:2" in error


def test_a_corrupt_state_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "state.vms").write_bytes(b"garbage")
    assert main(["run", "--no-tcp", "--instant", "--until", "+1h", "--state", str(tmp_path)]) == 2
    assert "not a vmeter state file" in capsys.readouterr().err
    assert (tmp_path / "state.vms").read_bytes() == b"garbage"


def test_demo_tells_its_story_and_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    # the story's order is tests/emulator/test_demo.py's; here: the command and its summary
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "relay closed (connected)" in out and "leak test passed" in out
    assert "\nsummary\n" in out and out.rstrip().endswith("broker closed")


def test_every_run_option_can_come_from_the_file(tmp_path: Path) -> None:
    state = tmp_path / "state"
    path = tmp_path / "meter.yaml"
    path.write_text(
        "communication:\n  tcp: null\nload:\n  watts: 2000\n"
        f"run:\n  state: {state.name}\n  instant: true\n"
        "  start: '2026-01-14T12:00'\n  until: +30m\n"
    )
    assert main(["run", "--config", str(path)]) == 0
    saved = NonVolatileMemory(state).load()
    assert saved is not None and saved.registers_mj.to_wh().import_peak == 1000
    assert main(["run", "--config", str(path), "--until", "+15m", "--load-watts", "4000"]) == 0
    saved = NonVolatileMemory(state).load()
    assert saved is not None and saved.registers_mj.to_wh().import_peak == 2000  # CLI wins
