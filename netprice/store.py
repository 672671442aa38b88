"""Finished scenario results on disk, kept as they arrive, so an interrupted run resumes.

A run with an output folder appends each finished task's result to a
:class:`ResultStore` (``folder/parts/``, one JSON line per task, synced
to disk), keyed by :func:`task_key`; a rerun of the same inputs
(:func:`fingerprint`) skips what is there.  Results pass through
:func:`to_json`, so what a rerun reads back equals what one run returns.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .io.files import atomic_write_text

__all__ = ["ResultStore", "StoreMismatch", "task_key", "fingerprint", "to_json"]


# -- keys and JSON -----------------------------------------------------------------------------
def _plain(value):
    """numpy scalars and other JSON strangers as plain Python values."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    return str(value)


def to_json(obj) -> str:
    """Compact JSON that reads back to the same Python values (NaN included)."""
    return json.dumps(obj, default=_plain, allow_nan=True, separators=(",", ":"))


def task_key(*parts) -> str:
    """A stable key for a task from JSON-able parts (e.g. name, parameter, value)."""
    return hashlib.sha1(to_json(parts).encode()).hexdigest()[:16]


def fingerprint(*parts) -> str:
    """A hash identifying a run's inputs (network, mode, options)."""
    return hashlib.sha256(to_json(parts).encode()).hexdigest()[:24]


class StoreMismatch(ValueError):
    """An output folder holds finished results of a different run."""


# -- the append-only store -------------------------------------------------------------------
class ResultStore:
    """Finished task results under ``folder/parts/``, one JSON line each.

    ``parts/run.json`` records what the results belong to (a fingerprint of
    the network and options); ``parts/results.jsonl`` holds one line per
    finished task, ``{"key": ..., "result": ...}``, flushed and synced as
    each arrives.  A line cut short by an interruption is ignored on reading.

    Parameters
    ----------
    folder : path-like
        The run's output folder (``--out``).
    run_fingerprint : str
        Identifies the inputs; a store holding another run's results is not
        mixed with this one.
    resume : bool
        Keep finished results (default).  False starts over, discarding them.
    """

    def __init__(self, folder, run_fingerprint, *, resume=True, kind="scenarios"):
        self.folder = Path(folder) / "parts"
        self.meta_path = self.folder / "run.json"
        self.path = self.folder / "results.jsonl"
        self.fingerprint = run_fingerprint
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.meta_path.exists():
            try:
                meta = json.loads(self.meta_path.read_text())
            except ValueError:
                meta = {}
            if meta.get("fingerprint") != run_fingerprint:
                if resume:
                    raise StoreMismatch(
                        f"{folder} holds results of a different run (another network, mode or "
                        "options); write to another --out folder, or pass --no-resume "
                        "(resume=False) to discard them")
                resume = False
        if not resume:
            self.path.unlink(missing_ok=True)
        atomic_write_text(self.meta_path, json.dumps(
            {"fingerprint": run_fingerprint, "kind": kind, "format": 1}, indent=1))

    def load(self) -> dict:
        """``{key: result}`` of every complete line."""
        done = {}
        if not self.path.exists():
            return done
        with open(self.path, encoding="utf-8") as handle:
            for line in handle:
                if not line.endswith("\n"):
                    break  # cut short by an interruption
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                done[record["key"]] = record["result"]
        return done

    def append(self, key, result) -> None:
        line = to_json({"key": key, "result": result}) + "\n"
        # Drop a partial last line left by an interruption before appending.
        if self.path.exists() and self.path.stat().st_size:
            with open(self.path, "rb+") as handle:
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":
                    data = self.path.read_bytes()
                    handle.seek(0)
                    handle.truncate(data.rfind(b"\n") + 1)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
