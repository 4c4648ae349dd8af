"""Non-volatile memory: save/reload, release before leaving, corrupt files refused."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from meter_rig import WINTER_NOON, build_rig

from firmware.errors import StateFileError
from firmware.nvm import FORMAT_VERSION, REGISTERS_FILE, STATE_FILE, NonVolatileMemory


@settings(max_examples=15, deadline=None)
@given(hours=st.integers(0, 60), disconnect=st.booleans(), mode=st.integers(1, 6))
def test_state_saved_then_reloaded_equals_the_state_before(
    hours: int, disconnect: bool, mode: int
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        rig = build_rig(state_dir=Path(directory))
        rig.meter.relay.control_mode = mode
        rig.run_to(WINTER_NOON + timedelta(hours=hours, seconds=7))
        if disconnect:
            rig.meter.relay.remote_disconnect()
        rig.meter.save()
        before = rig.meter.state()
        assert NonVolatileMemory(Path(directory)).load() == before


def test_a_restarted_meter_continues_from_its_saved_registers(tmp_path: Path) -> None:
    rig = build_rig(state_dir=tmp_path)
    rig.run_to(WINTER_NOON + timedelta(hours=2))
    rig.meter.shutdown()
    again = build_rig(start=WINTER_NOON + timedelta(hours=2), state_dir=tmp_path)
    again.run_to(WINTER_NOON + timedelta(hours=3))
    assert again.meter.registers.import_peak == 3000
    assert len(again.meter.profile) == 12  # 8 before the restart, 4 after


def test_a_released_value_survives_a_crash(tmp_path: Path) -> None:
    rig = build_rig(state_dir=tmp_path)
    rig.meter.save()
    rig.clock.advance_to(WINTER_NOON + timedelta(hours=1))
    released = rig.meter.registers_for_release()  # then the process dies without saving
    reloaded = NonVolatileMemory(tmp_path).load()
    assert reloaded is not None and reloaded.registers_mj.to_wh() == released


@pytest.fixture(scope="module")
def saved_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    directory = tmp_path_factory.mktemp("state")
    rig = build_rig(state_dir=directory)
    rig.run_to(WINTER_NOON + timedelta(hours=1))
    rig.meter.shutdown()
    return (directory / STATE_FILE).read_bytes()


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_state_file_truncated_at_any_byte_is_refused(
    saved_bytes: bytes, data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(saved_bytes) - 1))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / STATE_FILE
        path.write_bytes(saved_bytes[:cut])
        with pytest.raises(StateFileError):
            NonVolatileMemory(Path(directory)).load()
        with pytest.raises(StateFileError):
            build_rig(state_dir=Path(directory))
        assert path.read_bytes() == saved_bytes[:cut]  # never overwritten


def test_a_newer_state_file_is_refused_and_left_alone(tmp_path: Path, saved_bytes: bytes) -> None:
    newer = saved_bytes.replace(
        f"\n{FORMAT_VERSION} ".encode(), f"\n{FORMAT_VERSION + 1} ".encode(), 1
    )
    (tmp_path / STATE_FILE).write_bytes(newer)
    with pytest.raises(StateFileError, match="newer"):
        NonVolatileMemory(tmp_path).save_registers(WINTER_NOON, build_rig().meter.registers_mj)
    assert (tmp_path / STATE_FILE).read_bytes() == newer
    assert not (tmp_path / REGISTERS_FILE).exists()


def test_release_writes_at_most_once_per_wh_step(tmp_path: Path) -> None:
    rig = build_rig(state_dir=tmp_path)  # 1000 W: one Wh every 3.6 s
    rig.meter.save()
    registers_file = tmp_path / REGISTERS_FILE
    rig.clock.advance_to(WINTER_NOON + timedelta(seconds=4))
    rig.meter.registers_for_release()
    registers_file.unlink()
    rig.clock.advance_to(WINTER_NOON + timedelta(seconds=5))
    assert rig.meter.registers_for_release().import_peak == 1
    assert not registers_file.exists()  # same Wh: no write
    rig.clock.advance_to(WINTER_NOON + timedelta(seconds=8))
    assert rig.meter.registers_for_release().import_peak == 2
    assert registers_file.exists()


def test_an_unwritable_state_directory_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(StateFileError, match="not-a-directory"):
        NonVolatileMemory(blocker / "state").save(build_rig().meter.state())
