"""`vmeter headend read` finds an object's class in the meter's object list cached per meter
between runs (issue 7, headend/object_cache.py), observed on the served meter's own trace."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from served_tcp import START, ServedMeter

from emulator.cli import main
from emulator.config import MeterConfig, RunConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from headend.object_cache import cache_directory

READER = ["--client", "17", "--password", "12345678"]
GAS_VOLUME_ON_CHANNEL_1 = "0-1:24.2.3.255"


class MeterTrace:
    """The frames the served meter sees (its TcpService tracer), so a test can count the
    object-list requests that reach it."""

    def __init__(self, served: ServedMeter) -> None:
        self.entries: list[str] = []
        served.service.trace = self.entries.append

    def list_fetches(self) -> int:
        requests = [entry for entry in self.entries if "GetRequestNormal" in entry]
        return sum("0-0:40.0.0.255" in entry for entry in requests)


async def run_headend(
    served: ServedMeter, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, list[str], str]:
    """`vmeter headend --tcp <served> ...` in a thread (the CLI runs its own event loop)."""
    argv = ("headend", "--tcp", served.endpoint, *argv)
    code = await asyncio.wait_for(asyncio.to_thread(main, list(argv)), 30)
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


async def headend(served: ServedMeter, capsys: pytest.CaptureFixture[str], *argv: str) -> int:
    return (await run_headend(served, capsys, *argv))[0]


def cache_file(cache_home: Path, served: ServedMeter) -> Path:
    return cache_home / "vmeter" / "object-lists" / f"tcp%3A127.0.0.1%3A{served.port}.json"


def cached_obis(path: Path) -> set[str]:
    return {row["obis"] for row in json.loads(path.read_text())["objects"]}


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path


async def test_the_second_read_takes_the_class_from_the_cache(
    served: ServedMeter, cache_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = MeterTrace(served)
    assert await headend(served, capsys, "read", "1.8.1") == 0
    assert trace.list_fetches() == 1
    assert "1-0:1.8.2.255" in cached_obis(cache_file(cache_home, served))
    assert await headend(served, capsys, "read", "1.8.1") == 0
    assert await headend(served, capsys, "read", "1-0:1.8.2.255") == 0
    assert trace.list_fetches() == 1  # both answered without the object list


async def test_no_cache_fetches_the_list_every_time_and_keeps_nothing(
    served: ServedMeter, cache_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = MeterTrace(served)
    for _ in range(2):
        assert await headend(served, capsys, "--no-cache", "read", "1.8.1") == 0
    assert trace.list_fetches() == 2
    assert not cache_file(cache_home, served).exists()


async def test_list_writes_the_cache_for_the_reads_after_it(
    served: ServedMeter, cache_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = MeterTrace(served)
    assert await headend(served, capsys, "list") == 0
    assert await headend(served, capsys, "read", "0-0:96.3.10.255:3") == 0
    assert trace.list_fetches() == 1


async def test_an_object_missing_from_the_cache_refreshes_it_once(
    served: ServedMeter, cache_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = MeterTrace(served)
    assert await headend(served, capsys, *READER, "read", "1.8.1") == 0
    assert GAS_VOLUME_ON_CHANNEL_1 not in cached_obis(cache_file(cache_home, served))
    # the meter gains a gas meter on M-Bus channel 1: objects added since the list was cached
    config = MeterConfig()
    with_gas = VirtualMeter(config, RunConfig(instant=True, start=START, with_gas=True))
    served.service.device = build_logical_device(with_gas, config)
    assert await headend(served, capsys, *READER, "read", GAS_VOLUME_ON_CHANNEL_1) == 0
    assert trace.list_fetches() == 2
    assert GAS_VOLUME_ON_CHANNEL_1 in cached_obis(cache_file(cache_home, served))
    assert await headend(served, capsys, *READER, "read", GAS_VOLUME_ON_CHANNEL_1) == 0
    assert trace.list_fetches() == 2


async def test_an_object_the_meter_does_not_list_is_refused_after_one_refresh(
    served: ServedMeter, cache_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = MeterTrace(served)
    assert await headend(served, capsys, "read", "1.8.1") == 0
    code, _, err = await run_headend(served, capsys, "read", "9.9.9")
    assert code == 1 and "not in the meter's object list" in err
    assert trace.list_fetches() == 2


async def test_a_corrupt_cache_file_is_ignored_and_rewritten(
    served: ServedMeter, cache_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = cache_file(cache_home, served)
    path.parent.mkdir(parents=True)
    for garbage in ("{not json", '{"objects": [{"obis": "1.8.1"}]}', "[]", ""):
        path.write_text(garbage)
        assert await headend(served, capsys, "read", "1.8.1") == 0
        assert "1-0:1.8.1.255" in cached_obis(path)


async def test_a_class_cached_from_another_meter_at_that_address_is_refetched(
    served: ServedMeter, cache_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the file says 1.8.1 is a Data object (class 1), 9.9.9 a register: the meter refuses both,
    # so the list is fetched again rather than the refusal shown
    path = cache_file(cache_home, served)
    path.parent.mkdir(parents=True)
    rows = [{"class": 1, "obis": "1-0:1.8.1.255", "version": 0}]
    rows.append({"class": 3, "obis": "1-0:9.9.9.255", "version": 0})
    path.write_text(json.dumps({"meter": "another", "objects": rows}))
    served.advance_to(START + timedelta(hours=2))
    code, lines, _ = await run_headend(served, capsys, "read", "1.8.1")
    assert (code, lines[-1]) == (0, "1000 Wh")
    code, _, err = await run_headend(served, capsys, "read", "9.9.9")
    assert code == 1 and "not in the meter's object list" in err


def test_the_cache_lives_under_xdg_cache_home_else_under_home() -> None:
    assert cache_directory({"XDG_CACHE_HOME": "/var/cache/me"}) == Path(
        "/var/cache/me/vmeter/object-lists"
    )
    home_cache = Path.home() / ".cache" / "vmeter" / "object-lists"
    assert cache_directory({}) == home_cache
    assert cache_directory({"XDG_CACHE_HOME": "relative/ignored"}) == home_cache
