"""`vmeter headend ... --help` reads as the README's command-line table says (README QA)."""

from __future__ import annotations

import pytest

from emulator.cli import main

VERBS = (
    "read", "list", "set", "action", "disconnect", "reconnect", "readout", "watch", "profile",
    "limit", "balance", "platform", "topup", "platform-status", "declare",
)  # fmt: skip


def help_of(capsys: pytest.CaptureFixture[str], *words: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*words, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_every_verb_usage_fits_an_80_column_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    for verb in VERBS:
        usage = help_of(capsys, "headend", verb).split("\n\n")[0]
        assert max(len(line) for line in usage.splitlines()) <= 80, verb


def test_disconnect_and_reconnect_name_their_methods(capsys: pytest.CaptureFixture[str]) -> None:
    # rules M1, E8: remote_reconnect only enables reconnection; under mode 3 the button closes
    text = " ".join(help_of(capsys, "headend").split())
    assert "disconnect open the supply relay (remote_disconnect, method 1)" in text
    assert "reconnect enable reconnection (remote_reconnect, method 2" in text
    assert "close the supply relay" not in text
