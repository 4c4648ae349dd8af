"""The one error family of the DLMS/COSEM layer."""


class CosemError(Exception):
    """Base of every error raised by the cosem package."""


class DecodeError(CosemError):
    """Malformed bytes: says what was being decoded and at which offset."""

    def __init__(self, what: str, offset: int | None = None) -> None:
        self.what = what
        self.offset = offset
        super().__init__(what if offset is None else f"{what} (at byte {offset})")


class EncodeError(CosemError):
    """A value that cannot be encoded (out of range, wrong Python type)."""
