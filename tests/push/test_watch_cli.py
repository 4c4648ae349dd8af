"""``vmeter headend --mqtt URL --meter SERIAL watch`` against ``vmeter run --mqtt``, each in its
own process: the meter's power up on start and power down on a clean stop (Ctrl-C), printed
one line each; and the exit codes."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from brokers import Mosquitto
from mqtt_rig import SERIAL, WAIT_S
from test_cli_over_mqtt import MeterProcess

from emulator.cli import main

pytestmark = pytest.mark.timeout(60)

EXIT_OK, EXIT_USAGE, EXIT_NO_ANSWER = 0, 2, 3
LINE = re.compile(
    r'^2\d{3}-\d\d-\d\d \d\d:\d\d:\d\d CES?T  (?P<serial>\S+)  (?P<event>[a-z -]+)  "(?P<text>.*)"'
    r"  \[balance -?\d+\.\d\d EUR, emergency credit \d+\.\d\d EUR, relay (?P<relay>[a-z ]+)\]$"
)


@pytest.fixture
def broker_url(tmp_path: Path) -> Iterator[str]:
    broker = Mosquitto(tmp_path)
    asyncio.run(broker.start())
    yield f"mqtt://127.0.0.1:{broker.port}"
    broker.stop()


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_watch_prints_power_up_then_power_down(  # rule E9, P9
    broker_url: str, processes: list[subprocess.Popen[str]]
) -> None:
    command = ["headend", "--mqtt", broker_url, "--meter", "+", "watch", "--count", "2"]
    watcher = subprocess.Popen(
        [sys.executable, "-m", "emulator.cli", *command, "--timeout", str(3 * WAIT_S)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    processes.append(watcher)
    assert watcher.stderr is not None
    assert "watching vmeter/+/push" in watcher.stderr.readline()

    meter = MeterProcess(broker_url)
    processes.append(meter.process)
    assert watcher.stdout is not None
    first = watcher.stdout.readline()  # the meter is online: it pushed its power up
    meter.interrupt()  # a clean stop: the power-down push goes out before "offline"

    out, _ = watcher.communicate(timeout=WAIT_S)
    assert watcher.returncode == EXIT_OK
    lines = [LINE.match(line) for line in (first + out).splitlines()]
    assert all(lines), out
    assert [(m["serial"], m["event"], m["relay"]) for m in lines if m] == [
        (SERIAL, "power up", "connected"),
        (SERIAL, "power down", "connected"),
    ]


def test_watch_without_enough_pushes_is_no_answer(
    broker_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["headend", "--mqtt", broker_url, "--meter", SERIAL, "watch", "--count", "1"]
    assert main([*argv, "--timeout", "0.2"]) == EXIT_NO_ANSWER
    assert "0 of 1 pushes within 0.2 s" in capsys.readouterr().err


def test_watch_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["headend", "--mqtt", "mqtt://127.0.0.1:1", "watch"]) == EXIT_USAGE
    assert "--meter SERIAL" in capsys.readouterr().err
    assert main(["headend", "--tcp", "127.0.0.1:1", "watch"]) == EXIT_USAGE
    argv = ["headend", "--mqtt", "mqtt://127.0.0.1:1", "--meter", "x/y", "watch"]
    assert main(argv) == EXIT_USAGE
    assert "cannot be an MQTT topic level" in capsys.readouterr().err
