"""The dependency directions of DEVELOPERS.md, checked on every import statement (including
those inside functions): emulator -> headend -> cosem; emulator -> display -> firmware -> hal;
the head-end may use firmware/rules/ alone, which depends on nothing else of the firmware."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"firmware", "cosem", "hal", "display", "emulator", "headend"}
MQTT_AND_UI = {"aiomqtt", "amqtt", "paho", "textual"}

FORBIDDEN: dict[str, set[str]] = {
    "firmware": {"cosem", "display", "emulator", "headend"} | MQTT_AND_UI,
    "firmware/rules": {"hal", "cosem", "display", "emulator", "headend"},
    "cosem": {"firmware", "hal", "display", "emulator", "headend"},
    "hal": {"firmware", "cosem", "display", "emulator", "headend"},
    "display": {"cosem", "emulator", "headend"},
    "headend": {"display", "emulator", "textual"},
}


def imported_modules(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def imports_of(package: str) -> Iterator[tuple[Path, str]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        for module in imported_modules(path):
            yield path.relative_to(ROOT), module


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_package_imports_against_the_dependency_direction(package: str) -> None:
    wrong = [
        f"{path} imports {module}"
        for path, module in imports_of(package)
        if module.split(".")[0] in FORBIDDEN[package]
    ]
    assert not wrong, "\n".join(wrong)


def test_firmware_rules_depend_on_nothing_else_of_the_firmware() -> None:
    # rule M5: both the meter and the head-end apply these rules, so they must stand alone
    wrong = [
        f"{path} imports {module}"
        for path, module in imports_of("firmware/rules")
        if module.startswith("firmware") and not module.startswith("firmware.rules")
    ]
    assert not wrong, "\n".join(wrong)


def test_the_head_end_uses_only_the_firmware_rules() -> None:
    wrong = [
        f"{path} imports {module}"
        for path, module in imports_of("headend")
        if module.startswith("firmware") and not module.startswith("firmware.rules")
    ]
    assert not wrong, "\n".join(wrong)
