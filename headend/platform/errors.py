"""The platform layer's one error type."""

from __future__ import annotations


class PlatformError(Exception):
    """Input the platform refuses (bad amount, unknown reference, corrupt database...)."""
