"""Fixtures for the central prepayment platform's tests (their facts: platform_facts.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from headend.platform.ledger import Ledger
from headend.platform.service import Platform


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "platform.sqlite"


@pytest.fixture
def platform(db_path: Path) -> Iterator[Platform]:
    ledger = Ledger(db_path)
    yield Platform(ledger)
    ledger.close()
