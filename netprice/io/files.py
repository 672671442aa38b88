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
import re
import tempfile
import warnings
from pathlib import Path

from ..errors import InputWarning, OutputError

__all__ = ["write_all", "atomic_write_text", "atomic_write_bytes", "check_writable",
           "parquet_bytes", "png_bytes", "table_files", "folder_when_done"]


@contextlib.contextmanager
def folder_when_done(out, prefix=".netprice-"):
    """A scratch folder inside ``out`` whose files move into ``out`` when the block succeeds.

    For reports of many files written by many hands (plots, maps, tables):
    a failure part-way leaves nothing half-written in ``out``.
    """
    out = Path(out)
    created = [p for p in (out, *out.parents) if not p.exists()]
    out.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=out, prefix=prefix) as scratch:
            yield Path(scratch)
            for item in sorted(Path(scratch).iterdir()):
                os.replace(item, out / item.name)
    except BaseException:
        for folder in created:  # innermost first; a failed run leaves no empty folders
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


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

    Raises
    ------
    OutputError
        When a file or folder cannot be written, naming the path asked for
        (not a temporary file) and the system's reason.

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
            with _blaming(path):
                created += _make_folder(path.parent)
                staged.append((_stage(path, data, mode), path))
        for tmp, path in staged:
            with _blaming(path):
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


class _blaming:
    """Turn an OSError while writing ``path`` into an :class:`OutputError` naming it.

    The system names the file it failed on, which may be the temporary
    file beside the target or a missing folder; the user asked for
    ``path``, so the error names that, with the reason.
    """

    def __init__(self, path):
        self.path = Path(path)

    def __enter__(self):
        return self

    def __exit__(self, kind, err, tb):
        if err is None or isinstance(err, OutputError) or not isinstance(err, OSError):
            return False
        raise OutputError(self.path, _reason(self.path, err), err.errno) from None


def _reason(path: Path, err: OSError) -> str:
    """The system's reason, with the part of the path it is about when that helps."""
    blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None and blocker != path:
        return f"{blocker} is a file, not a folder"
    if isinstance(err, IsADirectoryError) or path.is_dir():
        return "it is a folder" if path.is_dir() else f"{path.parent} is not a folder"
    return err.strerror or type(err).__name__


def check_writable(*files, folders=()) -> None:
    """Raise :class:`OutputError` now if ``files`` or files in ``folders`` cannot be written.

    The command line calls this before clearing, so that a long run does
    not end in a refusal to write.  It creates (and at once removes) a
    temporary file in the nearest folder that exists: permission bits,
    read-only mounts and pseudo file systems (``/proc``) all answer that,
    whoever runs it.  Nothing is left behind.

    Parameters
    ----------
    *files : path-like
        Files to be written (None is skipped).
    folders : iterable of path-like
        Folders to be written into (None is skipped); errors name the folder.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> check_writable(folder / "new" / "map.html", folders=[folder / "out"])
    >>> (folder / "a file").write_text("x")
    1
    >>> check_writable(folders=[folder / "a file" / "out"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    netprice.errors.OutputError: .../a file/out: cannot write: .../a file is a file, not a folder
    """
    targets = [(Path(f), False) for f in files if f is not None]
    targets += [(Path(f), True) for f in folders if f is not None]
    for path, is_folder in targets:
        existing = next(p for p in (path if is_folder else path.parent, *path.parents)
                        if p.exists())
        with _blaming(path):
            if not existing.is_dir() or (not is_folder and path.is_dir()):
                raise IsADirectoryError(21, "is a folder", str(path))
            with tempfile.TemporaryFile(dir=existing, prefix=".netprice-check-"):
                pass


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
    """A matplotlib figure as PNG.

    Characters the chart font has no glyph for (an emoji in a node name)
    are drawn as empty boxes; matplotlib warns once per character and
    names its own source file, so they are reported here instead, as one
    :class:`~netprice.errors.InputWarning` naming them.
    """
    buffer = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.savefig(buffer, format="png", dpi=dpi)
    missing = []
    for item in caught:
        found = _MISSING_GLYPH.match(str(item.message))
        if found is None:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
        elif chr(int(found.group(1))) not in missing:
            missing.append(chr(int(found.group(1))))
    if missing:
        warnings.warn(InputWarning(
            f"the chart font has no glyph for {' '.join(missing)}; those characters of node or "
            "link names are drawn as empty boxes in the PNG charts"), stacklevel=2)
    return buffer.getvalue()


# matplotlib's "Glyph 128640 (\N{ROCKET}) missing from font(s) DejaVu Sans."
_MISSING_GLYPH = re.compile(r"Glyph (\d+) .*missing from")


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
