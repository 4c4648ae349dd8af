"""Non-volatile memory: the meter's state in files written atomically (temp file + rename).

Two files in the state directory: ``state.vms`` (everything) and ``registers.vms`` (the four
registers alone, written each time a higher Wh value is released to a client). Each file is
a magic line, a header ``<version> <length> <sha256>`` and a JSON body, so a truncated,
corrupt or newer-version file is detected; it is then reported with ``StateFileError`` and
never overwritten. Format 2 adds the central balance to ``state.vms``; format 1 files load as
"no balance update received yet" and are rewritten as format 2 at the next save.

In meter-side prepayment mode a third file, ``ledger.vml``, is the account's append-only
journal: one line per ledger entry, ``<sha256 of the JSON, 16 hex digits> <JSON>``, appended
(and fsynced when durable) before the entry counts (rule M6). A line that does not check out
is refused with ``StateFileError``, like the other files.

A budget meter (rules B1-B11) keeps its card account's snapshot in ``budget.vms`` (same form
as ``state.vms``) and the account's ledger in ``ledger.vml``. A gas meter keeps its volume
register, valve, leak test, daily snapshots and the last central balance update (or its
meter-side account's snapshot) in ``gas.vms`` (same form), and that account's ledger in
``gas-ledger.vml`` (same form as ``ledger.vml``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from firmware.errors import StateFileError
from firmware.registers import RegisterValues
from firmware.state import MeterState, from_ms, to_ms

MAGIC = b"VMETER-STATE\n"
FORMAT_VERSION = 2
STATE_FILE = "state.vms"
REGISTERS_FILE = "registers.vms"
LEDGER_FILE = "ledger.vml"
BUDGET_FILE = "budget.vms"
GAS_FILE = "gas.vms"
GAS_LEDGER_FILE = "gas-ledger.vml"
_LINE_DIGEST_CHARS = 16
T = TypeVar("T")


class NonVolatileMemory:
    """State persistence in ``directory``. ``durable`` fsyncs each write (off in simulations
    that do not need crash safety)."""

    def __init__(self, directory: Path, durable: bool = True) -> None:
        self.directory = directory
        self.durable = durable
        self._checked = False

    def load(self) -> MeterState | None:
        """The saved state, or None when nothing was saved yet. Raises ``StateFileError``."""
        state_doc = self._read(STATE_FILE)
        registers_doc = self._read(REGISTERS_FILE)
        ledger_exists = (self.directory / LEDGER_FILE).exists()
        if state_doc is None and (registers_doc is not None or ledger_exists):
            raise StateFileError(f"{self.directory / STATE_FILE} is missing")
        self._checked = True
        if state_doc is None:
            return None
        state = _decoded(self.directory / STATE_FILE, lambda: MeterState.from_json(state_doc))
        if registers_doc is None:
            return state
        saved_at, registers = _decoded(
            self.directory / REGISTERS_FILE,
            lambda: (
                from_ms(int(registers_doc["saved_at"])),
                RegisterValues(*(int(v) for v in registers_doc["registers_mj"])),
            ),
        )
        # Registers only grow, so the later of two saves dominates element by element.
        merged = RegisterValues(*map(max, state.registers_mj, registers))
        return replace(state, registers_mj=merged, saved_at=max(saved_at, state.saved_at))

    def save(self, state: MeterState) -> None:
        """Save everything (and the registers file with it)."""
        self._ensure_checked()
        self._write(STATE_FILE, state.to_json())
        self.save_registers(state.saved_at, state.registers_mj)

    def save_registers(self, saved_at: datetime, registers_mj: RegisterValues) -> None:
        """Save the four registers alone (fast path used before releasing a value)."""
        self._ensure_checked()
        document = {"saved_at": to_ms(saved_at), "registers_mj": list(registers_mj)}
        self._write(REGISTERS_FILE, document)

    def load_budget(self) -> dict[str, Any] | None:
        """The budget account's snapshot, or None before the first save."""
        return self._read(BUDGET_FILE)

    def save_budget(self, snapshot: dict[str, Any]) -> None:
        self._ensure_checked()
        self._write(BUDGET_FILE, snapshot)

    def load_gas(self) -> dict[str, Any] | None:
        """The gas meter's snapshot, or None before the first save."""
        return self._read(GAS_FILE)

    def save_gas(self, snapshot: dict[str, Any]) -> None:
        self._ensure_checked()
        self._write(GAS_FILE, snapshot)

    def load_journal(self) -> list[dict[str, Any]]:
        """The ledger journal's documents in order ([] when there is none)."""
        return self._load_lines(LEDGER_FILE)

    def append_journal(self, document: dict[str, Any]) -> None:
        """Append one document to the ledger journal; it is on disk when this returns."""
        self._append_line(LEDGER_FILE, document)

    def gas_journal(self) -> GasJournal:
        """The gas meter's own ledger journal (``gas-ledger.vml``), beside the electricity
        meter's when both share the directory (``--with-gas``)."""
        return GasJournal(self)

    def _load_lines(self, name: str) -> list[dict[str, Any]]:
        path = self.directory / name
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as error:
            raise StateFileError(f"{path}: {error.strerror}") from error
        if raw and not raw.endswith(b"\n"):
            raise StateFileError(f"{path} ends with a torn line; it is left untouched")
        return [_journal_line(path, number, line) for number, line in enumerate(raw.splitlines())]

    def _append_line(self, name: str, document: dict[str, Any]) -> None:
        self._ensure_checked()
        body = json.dumps(document, separators=(",", ":"))
        line = f"{hashlib.sha256(body.encode()).hexdigest()[:_LINE_DIGEST_CHARS]} {body}\n"
        path = self.directory / name
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="ascii") as handle:
                handle.write(line)
                if self.durable:
                    handle.flush()
                    os.fsync(handle.fileno())
        except OSError as error:
            raise StateFileError(f"{path}: cannot append ({error})") from error

    def _ensure_checked(self) -> None:
        if not self._checked:
            self.load()

    def _read(self, name: str) -> dict[str, Any] | None:
        path = self.directory / name
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StateFileError(f"{path}: {error.strerror}") from error
        return _parse(path, raw)

    def _write(self, name: str, document: dict[str, Any]) -> None:
        body = json.dumps(document, separators=(",", ":")).encode()
        digest = hashlib.sha256(body).hexdigest()
        header = f"{FORMAT_VERSION} {len(body)} {digest}\n".encode()
        try:
            self._replace_atomically(name, MAGIC + header + body)
        except OSError as error:
            raise StateFileError(f"{self.directory / name}: cannot save ({error})") from error

    def _replace_atomically(self, name: str, content: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=self.directory, prefix=f".{name}.")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
                if self.durable:
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(temporary, self.directory / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        if self.durable:
            directory = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)


class GasJournal:
    """The gas meter's ledger journal in its NVM (the ``Journal`` of ``BilledAccount``)."""

    def __init__(self, nvm: NonVolatileMemory) -> None:
        self._nvm = nvm

    def load_journal(self) -> list[dict[str, Any]]:
        return self._nvm._load_lines(GAS_LEDGER_FILE)

    def append_journal(self, document: dict[str, Any]) -> None:
        self._nvm._append_line(GAS_LEDGER_FILE, document)


def _parse(path: Path, raw: bytes) -> dict[str, Any]:
    if not raw.startswith(MAGIC):
        raise StateFileError(f"{path} is not a vmeter state file (or is truncated)")
    header, separator, body = raw[len(MAGIC) :].partition(b"\n")
    fields = header.split()
    if not separator or len(fields) != 3 or not fields[0].isdigit() or not fields[1].isdigit():
        raise StateFileError(f"{path}: damaged header")
    version, length = int(fields[0]), int(fields[1])
    if version > FORMAT_VERSION:
        raise StateFileError(
            f"{path} was written by a newer vmeter (format {version}, this one reads "
            f"{FORMAT_VERSION}); it is left untouched"
        )
    if (
        version < 1
        or length != len(body)
        or hashlib.sha256(body).hexdigest() != fields[2].decode(errors="replace")
    ):
        raise StateFileError(f"{path} is truncated or corrupt; it is left untouched")
    try:
        document = json.loads(body)
    except ValueError as error:
        raise StateFileError(f"{path}: unreadable body ({error})") from error
    if not isinstance(document, dict):
        raise StateFileError(f"{path}: unexpected body")
    return document


def _journal_line(path: Path, number: int, line: bytes) -> dict[str, Any]:
    digest, _, body = line.partition(b" ")
    if hashlib.sha256(body).hexdigest()[:_LINE_DIGEST_CHARS].encode() != digest:
        raise StateFileError(f"{path}: line {number + 1} is corrupt; the file is left untouched")
    try:
        document = json.loads(body)
    except ValueError as error:
        raise StateFileError(f"{path}: line {number + 1} unreadable ({error})") from error
    if not isinstance(document, dict):
        raise StateFileError(f"{path}: line {number + 1} is not a JSON object")
    return document


def _decoded(path: Path, decode: Callable[[], T]) -> T:
    try:
        return decode()
    except (KeyError, TypeError, ValueError) as error:
        raise StateFileError(f"{path}: unexpected content ({error})") from error
