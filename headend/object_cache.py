"""The classes of a meter's objects, remembered between head-end runs (issue 7).

``vmeter headend read|set|action OBIS`` needs the object's class. The meter's object list
(Association LN, attribute 2) holds it, but it is the longest answer a meter sends, so each
meter's list is kept in a small JSON file under ``$XDG_CACHE_HOME/vmeter/object-lists/``
(default ``~/.cache``), written whenever a list is fetched. A lookup that misses fetches the list
again, once. The cache only saves time: an unreadable file counts as empty (the next fetch
rewrites it), and a file that cannot be written is left alone.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cosem.apdu import AttributeDescriptor
from cosem.client import ProtocolError
from cosem.obis import Obis
from headend.session import Session

ASSOCIATION_LN = AttributeDescriptor(15, Obis(0, 0, 40, 0, 0, 255), 2)
CACHE_SUBDIRECTORY = Path("vmeter", "object-lists")


@dataclass(frozen=True)
class ListedObject:
    """One entry of a meter's object list."""

    class_id: int
    obis: Obis
    version: int

    def to_json(self) -> dict[str, Any]:
        """The row ``vmeter headend --json list`` prints, and the cache file holds."""
        return {"class": self.class_id, "obis": str(self.obis), "version": self.version}


async def fetch_object_list(session: Session) -> list[ListedObject]:
    """Every object the session's association sees, read from the meter."""
    listed = await session.get(ASSOCIATION_LN)
    objects = []
    for entry in listed.items:
        class_id, version, name = entry.items[:3]
        if not isinstance(name.value, bytes):
            raise ProtocolError("object list entry without an octet-string logical name")
        objects.append(
            ListedObject(class_id.int_value, Obis.from_bytes(name.value), version.int_value)
        )
    return objects


def cache_directory(environ: Mapping[str, str] = os.environ) -> Path | None:
    """``$XDG_CACHE_HOME/vmeter/object-lists``; ``~/.cache`` when the variable is unset or not
    an absolute path (as the XDG base directory specification says); None without a home."""
    base = environ.get("XDG_CACHE_HOME", "")
    if base and Path(base).is_absolute():
        return Path(base) / CACHE_SUBDIRECTORY
    try:
        return Path.home() / ".cache" / CACHE_SUBDIRECTORY
    except RuntimeError:  # no home directory to be found
        return None


class MeterObjects:
    """One meter's object list: from its cache file, or fetched from the meter (and saved).
    ``meter`` names the meter (``tcp:HOST:PORT``, ``mqtt:SERIAL``, ``serial:DEVICE@ADDRESS``);
    ``directory`` None keeps no cache at all (``--no-cache``)."""

    def __init__(self, meter: str, directory: Path | None) -> None:
        self.meter = meter
        self.path = None if directory is None else directory / f"{quote(meter, safe='')}.json"

    def cached_class(self, obis: Obis) -> int | None:
        """The class the cache file gives ``obis``, or None (not cached, or no usable file)."""
        if self.path is None:
            return None
        try:
            rows = json.loads(self.path.read_text())["objects"]
            classes = {Obis.parse(row["obis"]): int(row["class"]) for row in rows}
        except (OSError, ValueError, KeyError, TypeError):
            return None  # unreadable: the next fetch rewrites it
        return classes.get(obis)

    async def listed_class(self, session: Session, obis: Obis) -> int | None:
        """The class of ``obis`` in the list fetched now from the meter (and saved), or None
        when the meter does not list it."""
        for listed in await self.fetch(session):
            if listed.obis == obis:
                return listed.class_id
        return None

    async def fetch(self, session: Session) -> list[ListedObject]:
        """The object list read from the meter, saved for the next runs."""
        objects = await fetch_object_list(session)
        self._save(objects)
        return objects

    def _save(self, objects: Sequence[ListedObject]) -> None:
        if self.path is None:
            return
        text = json.dumps({"meter": self.meter, "objects": [o.to_json() for o in objects]})
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:  # write then rename: a concurrent run reads the old list or the new, never half
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(text)
            partial.replace(self.path)
        except OSError:  # the cache only saves time: no cache, no error
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
