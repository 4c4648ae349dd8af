"""Real peer programs the tests drive (Mosquitto, socat)."""

from __future__ import annotations

import os
import shutil

import pytest


def require_program(name: str) -> None:
    """Skip a test whose real peer program (Mosquitto, socat) is missing on a developer's
    machine; in CI, where .ci/run installs them, a missing program fails the run instead."""
    if shutil.which(name) is not None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not installed: .ci/run should have installed it")
    pytest.skip(f"{name} is not installed")
