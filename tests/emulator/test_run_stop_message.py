"""What `vmeter run` says when stopped (README, firmware engineers): "state saved" only when
there is a --state directory to save to."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)


def stop_run(*options: str) -> list[str]:
    """``vmeter run`` in scaled time, stopped with SIGTERM (as Ctrl-C); its stderr lines."""
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator.cli", "run", "--no-tcp", "--speed", "100", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()  # the LCD at power-up
        assert "kWh" in process.stdout.readline()  # the first scroll step: the loop runs
        process.send_signal(signal.SIGTERM)
        _, error = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.returncode == 0, error
    return error.splitlines()


def test_a_run_without_state_does_not_claim_to_save_it() -> None:
    assert stop_run()[-1] == "stopped"


def test_a_run_with_state_says_it_saved_it(tmp_path: Path) -> None:
    assert stop_run("--state", str(tmp_path))[-1] == "stopped; state saved"
    assert (tmp_path / "state.vms").exists()
