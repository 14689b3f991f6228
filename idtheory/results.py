"""One results schema for check, validate and reproduce, written so that nothing is ever lost.

Every results file is ``{"schema": "idtheory.results/1", "header": {...}, "summary": {...}, "records": [...]}``.
The header carries the versions (idtheory, torch, hypothesis, numpy, python), the thresholds file and
its SHA-256, the seed, profile, device and executor, and ``status``: ``running`` while the command
works (a file left ``running`` belongs to a process that was killed), ``complete``, or
``interrupted`` with ``missing`` naming what did not run. JSON is strict: NaN and infinities are
written as null.

Writes are atomic (a temporary file, then ``os.replace``): a reader never sees half a file, and an
interruption never leaves a truncated one. Every path is checked for writability before any work, and
a report folder gets a fresh ``run-N`` subfolder per invocation, so no run overwrites another.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import time
from pathlib import Path
from typing import Any

SCHEMA = "idtheory.results/1"


def versions() -> dict[str, str]:
    import hypothesis
    import numpy
    import torch

    from . import __version__

    return {"idtheory": __version__, "torch": torch.__version__, "hypothesis": hypothesis.__version__,
            "numpy": numpy.__version__, "python": platform.python_version(), "machine": platform.machine()}


def thresholds_provenance() -> dict[str, str]:
    from .suite import THRESHOLDS_PATH

    digest = hashlib.sha256(THRESHOLDS_PATH.read_bytes()).hexdigest() if THRESHOLDS_PATH.exists() else None
    return {"thresholds": "idtheory/thresholds.json (idtheory calibrate)", "thresholds_sha256": digest}


def header(command: str, **fields: Any) -> dict:
    return {"command": command, **versions(), **thresholds_provenance(), **fields, "status": "running",
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def strict(value: Any) -> Any:
    """JSON-safe: NaN/inf -> None, numpy scalars and arrays -> Python values."""
    if isinstance(value, dict):
        return {str(k): strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    if hasattr(value, "tolist"):
        return strict(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(payload: Any) -> str:
    return json.dumps(strict(payload), indent=1, allow_nan=False)


def write_atomic(path: Path, text: str) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _path(value: str | Path, what: str) -> Path:
    if not str(value).strip():  # Path("") would silently mean the current folder
        raise ValueError(f"{what} is an empty path")
    return Path(value)


def writable_file(path: str | Path | None, what: str = "--json") -> Path | None:
    """Refuse, before any work, a file path that cannot be written (its folder is created if missing)."""
    if path is None:
        return None
    path = _path(path, what)
    if path.is_dir():
        raise ValueError(f"{what} {str(path)!r} is a folder, not a file")
    _probe(path.parent, what, str(path))
    return path


def _probe(folder: Path, what: str, shown: str) -> None:
    for parent in [folder, *folder.parents]:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{what} {shown!r} lies under {str(parent)!r}, which is a file")
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".idtheory-write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise ValueError(f"{what} {shown!r} is not writable: {err.strerror or err}") from err


def new_run_folder(root: str | Path | None, what: str = "--report") -> Path | None:
    """A fresh ``root/run-N`` (N one more than the largest there): every invocation keeps its own results."""
    if root is None:
        return None
    root = _path(root, what)
    _probe(root, what, str(root))
    taken = [int(p.name[4:]) for p in root.glob("run-*") if p.name[4:].isdigit()]
    number = max(taken, default=0) + 1
    while True:
        try:
            (root / f"run-{number}").mkdir()
            return root / f"run-{number}"
        except FileExistsError:  # another invocation took it meanwhile
            number += 1


class ResultsFile:
    """A results document rewritten (atomically) to one or more paths whenever it changes."""

    def __init__(self, paths: list[Path | None], head: dict, summarize=None):
        self.paths = [Path(p) for p in paths if p is not None]
        self.header, self.records, self._summarize = dict(head), [], summarize

    def payload(self) -> dict:
        summary = self._summarize(self.records) if self._summarize else {}
        return {"schema": SCHEMA, "header": self.header, "summary": summary, "records": self.records}

    def add(self, records: list[dict]) -> None:
        self.records.extend(records)
        self.write()

    def finish(self, status: str = "complete", missing: list | None = None) -> None:
        self.header["status"] = status
        self.header["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        if missing:
            self.header["missing"] = missing
        self.write()

    def write(self) -> None:
        text = dumps(self.payload())
        for path in self.paths:
            write_atomic(path, text)


__all__ = ["SCHEMA", "ResultsFile", "dumps", "header", "new_run_folder", "strict", "writable_file", "write_atomic"]
