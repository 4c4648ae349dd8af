"""Brief: "a corrupt state file gets a clear error and loses nothing". A meter-side prepaid gas
meter's ``gas.vms`` and ``gas-ledger.vml``, damaged in every way we could think of, stop
``vmeter run`` with one line and exit code 2, and leave both files as they were (as
``state.vms`` is). A journal cut short at a line boundary is refused too: its lost entries
would be credit created or lost (rule M6)."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from emulator.cli import main
from firmware.nvm import GAS_FILE, GAS_LEDGER_FILE, MAGIC

Damage = Callable[[Path], None]


@pytest.fixture(scope="module")
def gas_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gas meter in meter-side prepayment (its own balance, tokens, a ledger journal)."""
    path = tmp_path_factory.mktemp("config") / "gas.yaml"
    assert main(["config", "init", "--kind", "gas", "--output", str(path)]) == 0
    text = path.read_text()
    assert "mode: central " in text
    path.write_text(text.replace("mode: central ", "mode: meter   ", 1))
    return path


@pytest.fixture(scope="module")
def saved_state(gas_config: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six hours of gas drawn and charged: a snapshot and a journal of many entries."""
    state = tmp_path_factory.mktemp("saved")
    run = ["--no-tcp", "--instant", "--start", "2026-01-14T09:00", "--until", "+6h"]
    assert main(["run", "--config", str(gas_config), *run, "--state", str(state)]) == 0
    assert (state / GAS_FILE).exists() and (state / GAS_LEDGER_FILE).exists()
    return state


def _snapshot_body(state: Path) -> dict[str, object]:
    body: dict[str, object] = json.loads((state / GAS_FILE).read_bytes().split(b"\n", 2)[2])
    return body


def _with_body(state: Path, body: object) -> None:
    """A well-formed, checksummed gas.vms around ``body``: only its meaning is wrong."""
    encoded = json.dumps(body).encode()
    header = f"2 {len(encoded)} {hashlib.sha256(encoded).hexdigest()}\n".encode()
    (state / GAS_FILE).write_bytes(MAGIC + header + encoded)


def _field(name: str, value: object) -> Damage:
    def damage(state: Path) -> None:
        _with_body(state, {**_snapshot_body(state), name: value})

    return damage


def _account_field(name: str, value: object) -> Damage:
    def damage(state: Path) -> None:
        body = _snapshot_body(state)
        account = body["account"]
        assert isinstance(account, dict)
        _with_body(state, {**body, "account": {**account, name: value}})

    return damage


def _rewrite(name: str, change: Callable[[bytes], bytes]) -> Damage:
    def damage(state: Path) -> None:
        (state / name).write_bytes(change((state / name).read_bytes()))

    return damage


def _last_journal_line_lost(state: Path) -> None:
    lines = (state / GAS_LEDGER_FILE).read_bytes().splitlines(keepends=True)
    (state / GAS_LEDGER_FILE).write_bytes(b"".join(lines[:-1]))


DAMAGES: dict[str, Damage] = {
    "gas.vms garbage": _rewrite(GAS_FILE, lambda _: b"garbage"),
    "gas.vms empty": _rewrite(GAS_FILE, lambda _: b""),
    "gas.vms truncated": _rewrite(GAS_FILE, lambda raw: raw[: len(raw) // 2]),
    "gas.vms one bit flipped": _rewrite(GAS_FILE, lambda raw: raw[:-5] + b"X" + raw[-4:]),
    "gas.vms newer format": _rewrite(GAS_FILE, lambda raw: raw.replace(b"\n2 ", b"\n9 ", 1)),
    "gas.vms body a list": lambda state: _with_body(state, [1, 2]),
    "volume not a number": _field("dm3", "lots"),
    # checksummed and well-formed, but values no meter saves (rules G1, G3, M4)
    "volume negative": _field("dm3", -1),
    "volume a fraction": _field("dm3", 12.5),
    "carried fraction a whole dm3": _field("carried", 3_600_000),
    "snapshot above the index": _field("snapshots", [["2026-01-14T23:00:00+00:00", 10**9]]),
    "snapshot negative": _field("snapshots", [["2026-01-14T23:00:00+00:00", -5]]),
    "valve mode 7": _field("valve", {"state": 1, "mode": 7, "test_owed": False}),
    "leak test attempt negative": _field("leak_test", {"state": "idle", "attempt": -1}),
    "leak test third attempt": _field("leak_test", {"state": "armed", "attempt": 3}),
    "valve state unknown": _field("valve", {"state": 99, "mode": 3, "test_owed": False}),
    "leak test state unknown": _field("leak_test", {"state": "maybe", "attempt": 0}),
    "snapshot time garbage": _field("snapshots", [["yesterday", 1]]),
    "account a list": _field("account", [1]),
    "account a string": _field("account", "x"),
    "account newer version": _account_field("version", 99),
    "account count not a count": _account_field("journal_entries", "many"),
    "account counts more entries": _account_field("journal_entries", 10**6),
    "gas.vms missing beside a journal": lambda state: (state / GAS_FILE).unlink(),
    "journal torn line": _rewrite(GAS_LEDGER_FILE, lambda raw: raw[:-7]),
    "journal line altered": _rewrite(
        GAS_LEDGER_FILE, lambda raw: raw.replace(b'"amount_mc":', b'"amount_mc":1', 1)
    ),
    "journal garbage": _rewrite(GAS_LEDGER_FILE, lambda _: b"garbage\n"),
    "journal emptied": _rewrite(GAS_LEDGER_FILE, lambda _: b""),
    "journal missing": lambda state: (state / GAS_LEDGER_FILE).unlink(),
    "journal's last line lost": _last_journal_line_lost,
}


@pytest.mark.parametrize("damage", DAMAGES.values(), ids=DAMAGES.keys())
def test_damaged_gas_nvm_is_refused_in_one_line_and_left_untouched(
    damage: Damage,
    saved_state: Path,
    gas_config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state = tmp_path / "state"
    shutil.copytree(saved_state, state)
    damage(state)
    before = {path.name: path.read_bytes() for path in state.iterdir()}
    capsys.readouterr()
    run = ["run", "--config", str(gas_config), "--no-tcp", "--instant", "--until", "+1h"]
    assert main([*run, "--state", str(state)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("vmeter: error: ") and error.count("\n") == 1
    assert {path.name: path.read_bytes() for path in state.iterdir()} == before


def test_the_undamaged_state_runs_on(
    saved_state: Path, gas_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the control: the same copy, undamaged, carries on from where it stopped
    state = tmp_path / "state"
    shutil.copytree(saved_state, state)
    run = ["run", "--config", str(gas_config), "--no-tcp", "--instant", "--until", "+1h"]
    assert main([*run, "--start", "2026-01-14T15:00", "--state", str(state)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "00001.800 m3" in lines[0] and "00002.100 m3" in lines[-1]  # rule G1: it goes on


def test_an_electricity_journal_cut_short_is_refused_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the same account code keeps the electricity meter's ledger.vml (rule M6)
    config = tmp_path / "meter.yaml"
    config.write_text("prepayment:\n  mode: meter\nload:\n  watts: 2000\n")
    state = tmp_path / "state"
    run = ["run", "--config", str(config), "--no-tcp", "--instant", "--until", "+6h"]
    assert main([*run, "--start", "2026-01-14T09:00", "--state", str(state)]) == 0
    journal = state / "ledger.vml"
    journal.write_bytes(b"".join(journal.read_bytes().splitlines(keepends=True)[:-1]))
    before = {path.name: path.read_bytes() for path in state.iterdir()}
    capsys.readouterr()
    assert main([*run, "--state", str(state)]) == 2
    error = capsys.readouterr().err
    assert "entries are missing" in error and error.count("\n") == 1
    assert {path.name: path.read_bytes() for path in state.iterdir()} == before


def test_a_negative_volume_is_named_in_the_line(
    saved_state: Path, gas_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # rule G1: the index never goes below zero, so the file cannot be the meter's
    state = tmp_path / "state"
    shutil.copytree(saved_state, state)
    _field("dm3", -1)(state)
    capsys.readouterr()
    run = ["run", "--config", str(gas_config), "--no-tcp", "--instant", "--until", "+1h"]
    assert main([*run, "--state", str(state)]) == 2
    error = capsys.readouterr().err
    assert f"{state / GAS_FILE}: unusable gas snapshot (volume (dm3) -1 is not in 0.." in error
