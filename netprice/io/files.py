"""Writing output files: atomically, one or many at once; tables as Parquet, figures as PNG.

Every command and library function that writes results goes through
:func:`write_all` (or its one-file forms :func:`atomic_write_text` and
:func:`atomic_write_bytes`), so a reader of an output folder never sees a
half-written file and a run that fails while preparing its outputs writes
none of them.  Contents are computed first, as ``{path: str or bytes}``;
:func:`parquet_bytes`, :func:`png_bytes` and :func:`table_files` turn
tables and figures into such contents.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

__all__ = ["write_all", "atomic_write_text", "atomic_write_bytes", "parquet_bytes",
           "png_bytes", "table_files", "folder_when_done"]


@contextlib.contextmanager
def folder_when_done(out, prefix=".netprice-"):
    """A scratch folder inside ``out`` whose files move into ``out`` when the block succeeds.

    For reports of many files written by many hands (plots, maps, tables):
    a failure part-way leaves nothing half-written in ``out``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=prefix) as scratch:
        yield Path(scratch)
        for item in sorted(Path(scratch).iterdir()):
            os.replace(item, out / item.name)


def write_all(files: dict) -> list:
    """Write ``{path: str or bytes}``: all the files or none of them, as far as possible.

    Each content is first written to a temporary file beside its target
    (text as UTF-8); only when every one is complete are they renamed into
    place, each rename atomic.  If anything fails before that, the
    temporary files and the folders created for them are removed and
    nothing is written.  Files get the mode a plain ``open()`` would give
    them.

    Parameters
    ----------
    files : dict
        ``{path-like: str or bytes}``, written in this order.

    Returns
    -------
    list
        The paths, as given.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> written = write_all({folder / "out" / "a.txt": "A", folder / "out" / "b.bin": b"B"})
    >>> sorted(p.name for p in (folder / "out").iterdir())
    ['a.txt', 'b.bin']
    >>> write_all({folder / "new" / "c.txt": "C", folder / "new" / "d.txt": 4})
    Traceback (most recent call last):
    ...
    TypeError: d.txt: can write str or bytes, not int
    >>> (folder / "new").exists()
    False
    """
    mode = 0o666 & ~_umask()
    created, staged = [], []
    try:
        for path, content in files.items():
            path = Path(path)
            data = _encode(path, content)
            created += _make_folder(path.parent)
            staged.append((_stage(path, data, mode), path))
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        for folder in sorted(created, key=lambda p: len(p.parts), reverse=True):
            try:
                folder.rmdir()
            except OSError:  # holds files renamed into place before the failure
                pass
        raise
    return list(files)


def atomic_write_text(path, text: str) -> None:
    """Write a text file (UTF-8) so that readers see the old one or the whole new one."""
    write_all({path: text})


def atomic_write_bytes(path, data: bytes) -> None:
    """Write a binary file so that readers see the old one or the whole new one."""
    write_all({path: data})


def _encode(path: Path, content) -> bytes:
    if isinstance(content, str):
        return content.encode("utf-8")
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content)
    raise TypeError(f"{path.name}: can write str or bytes, not {type(content).__name__}")


def _umask() -> int:
    # The umask can only be read by setting it: put it back at once.
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _make_folder(folder: Path) -> list:
    """Create ``folder`` and its missing parents; return those it created."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def _stage(path: Path, data: bytes, mode: int) -> str:
    """``data`` in a new temporary file beside ``path``; its name."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        # mkstemp makes the file private (0600): give it the usual mode.
        os.chmod(tmp, mode)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def parquet_bytes(frame) -> bytes:
    """A DataFrame as Parquet, its object columns written as text (None stays null).

    Object columns hold whatever Python objects a table carries (route
    tuples, mixed types); writing them as text keeps the file's schema
    independent of what pyarrow could make of them.

    Examples
    --------
    >>> import pandas as pd, pyarrow as pa, pyarrow.parquet as pq
    >>> frame = pd.DataFrame({"path": [("A", "B"), None], "flow": [1.0, 2.0]})
    >>> back = pq.read_table(pa.BufferReader(parquet_bytes(frame)))
    >>> back.column("path").to_pylist(), back.column("flow").to_pylist()
    (["('A', 'B')", None], [1.0, 2.0])
    """
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: None if v is None else str(v))
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def png_bytes(figure, *, dpi=120) -> bytes:
    """A matplotlib figure as PNG."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def table_files(frames: dict, out) -> dict:
    """``{path: content}`` of each named frame as ``NAME.csv`` and ``NAME.parquet`` in ``out``.

    The CSV files leave the index out: these frames carry their keys as columns.
    """
    out = Path(out)
    files = {}
    for name, frame in frames.items():
        files[out / f"{name}.csv"] = frame.to_csv(index=False)
        files[out / f"{name}.parquet"] = parquet_bytes(frame)
    return files
