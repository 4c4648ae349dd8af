"""The robustness tests drive the other directories' rigs (tests/mqtt, tests/interop,
tests/platform_live, tests/gas); their broker fixture is tests/brokers.py's."""

from __future__ import annotations

import sys
from pathlib import Path

for rig in ("mqtt", "interop", "platform_live", "gas"):
    sys.path.insert(0, str(Path(__file__).parents[1] / rig))
