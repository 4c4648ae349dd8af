"""``vmeter tui`` in a real terminal (tmux): it starts, shows the LCD, and ``q`` quits, saves
the meter's state and writes the session's inputs as a scenario (``--record``)."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from programs import require_program

REPO = Path(__file__).parents[2]
WAIT_S = 30.0  # an upper bound for a slow machine; the test never asserts how fast


def tmux(socket: str, *arguments: str) -> str:
    done = subprocess.run(
        ["tmux", "-L", socket, *arguments], capture_output=True, text=True, timeout=10
    )
    return done.stdout


def wait_for(what: str, ready: Callable[[], object]) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def test_tui_starts_shows_the_lcd_and_q_saves_and_records(tmp_path: Path) -> None:
    require_program("tmux")
    socket = f"vmeter-test-{uuid.uuid4().hex[:8]}"
    state = tmp_path / "state"
    done = tmp_path / "exit-code"
    recorded = tmp_path / "session.yaml"
    command = shlex.join(
        [
            sys.executable,
            "-m",
            "emulator.cli",
            "tui",
            "--no-tcp",
            "--state",
            str(state),
            "--start",
            "2026-11-27T10:00",
            "--record",
            str(recorded),
        ]
    )
    script = f"cd {shlex.quote(str(REPO))} && {command}; echo $? > {shlex.quote(str(done))}"
    tmux(socket, "new-session", "-d", "-x", "120", "-y", "44", script)
    try:
        wait_for("the LCD", lambda: "green [g]" in tmux(socket, "capture-pane", "-p"))
        screen = tmux(socket, "capture-pane", "-p")
        assert "electricity VM0000000001" in screen and "kWh" in screen
        assert "relay closed" in screen
        tmux(socket, "send-keys", "g")
        wait_for("the press", lambda: "press green" in tmux(socket, "capture-pane", "-p"))
        assert "8.8.8.8.8" in tmux(socket, "capture-pane", "-p")  # the test screen (E6)
        tmux(socket, "send-keys", "q")
        wait_for("the app to quit", lambda: done.exists() and done.read_text().strip())
        assert done.read_text().strip() == "0"
        assert (state / "state.vms").exists()  # saved on quit
        assert '"press green"' in recorded.read_text()
    finally:
        tmux(socket, "kill-server")
