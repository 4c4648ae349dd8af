"""``vmeter run --mqtt`` and ``vmeter headend --mqtt URL --meter SERIAL`` end to end: the
meter in its own process, the head-end commands with their exit codes."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from brokers import Mosquitto
from mqtt_rig import SERIAL, WAIT_S

from emulator.cli import main

pytestmark = pytest.mark.timeout(60)

EXIT_OK, EXIT_NO_ANSWER = 0, 3
BROKER_LINE = re.compile(r"embedded MQTT broker on (mqtt://\S+)")


class MeterProcess:
    """``vmeter run --no-tcp --mqtt TARGET`` in real time, stopped with Ctrl-C or killed."""

    def __init__(self, target: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "emulator.cli", "run", "--no-tcp", "--mqtt", target],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            # A shell may start us with SIGINT ignored; the meter must see Ctrl-C.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )

    def wait_for(self, pattern: re.Pattern[str]) -> re.Match[str]:
        """The first stderr line matching ``pattern`` (the pytest timeout bounds the wait)."""
        assert self.process.stderr is not None
        for line in self.process.stderr:
            match = pattern.search(line)
            if match:
                return match
        raise AssertionError(f"vmeter run ended without printing {pattern.pattern!r}")

    def interrupt(self) -> str:
        self.process.send_signal(signal.SIGINT)
        return self.process.communicate(timeout=WAIT_S)[1]

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@pytest.fixture
def meter_process() -> Iterator[list[MeterProcess]]:
    started: list[MeterProcess] = []
    yield started
    for process in started:
        process.kill()


def headend(url: str, *verb: str, password: str | None = None) -> int:
    options = ["--password", password] if password else []
    return main(["headend", "--mqtt", url, "--meter", SERIAL, "--timeout", "5", *options, *verb])


def test_embedded_broker_serves_reads_and_orders(
    meter_process: list[MeterProcess], capsys: pytest.CaptureFixture[str]
) -> None:
    meter = MeterProcess("embedded:0")
    meter_process.append(meter)
    url = meter.wait_for(BROKER_LINE).group(1)
    meter.wait_for(re.compile("MQTT: meter"))

    assert headend(url, "read", "0-0:96.1.0.255") == EXIT_OK
    assert SERIAL in capsys.readouterr().out
    assert headend(url, "disconnect", password="00000000") == EXIT_OK
    assert headend(url, "read", "0-0:96.3.10.255:3") == EXIT_OK
    assert capsys.readouterr().out.splitlines()[-1] == "0"  # control_state disconnected
    assert meter.interrupt().splitlines()[-1] == "stopped"  # no --state: nothing saved


@pytest.mark.parametrize("stop", ["interrupt", "kill"])
def test_stopped_meter_is_offline_for_the_headend(
    stop: str,
    tmp_path: Path,
    mosquitto_factory: list[Mosquitto],
    meter_process: list[MeterProcess],
    capsys: pytest.CaptureFixture[str],
) -> None:
    broker = Mosquitto(tmp_path)
    mosquitto_factory.append(broker)
    asyncio.run(broker.start())
    url = f"mqtt://127.0.0.1:{broker.port}"
    meter = MeterProcess(url)
    meter_process.append(meter)
    meter.wait_for(re.compile("MQTT: meter"))
    assert headend(url, "read", "1.8.1") == EXIT_OK
    if stop == "interrupt":  # a clean stop says offline
        meter.interrupt()
    else:  # a crash: the broker publishes the meter's last will
        meter.kill()

    assert headend(url, "read", "1.8.1") == EXIT_NO_ANSWER
    assert f"meter {SERIAL} is offline" in capsys.readouterr().err
