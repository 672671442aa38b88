"""Datasets shipped with netprice (``datasets/`` in the repository)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["dataset_path", "list_datasets"]

_REPO_DATASETS = Path(__file__).resolve().parent.parent / "datasets"


def _folder() -> Path:
    # Wheels carry the datasets inside the package; a source checkout (or an
    # editable install) reads them from the repository's top-level folder.
    packaged = resources.files("netprice") / "_datasets"
    if packaged.is_dir():
        return Path(str(packaged))
    return _REPO_DATASETS


def list_datasets() -> list[str]:
    """Names of the shipped datasets.

    Examples
    --------
    >>> "us5" in list_datasets()
    True
    """
    return sorted(p.name[: -len(".geojson")] for p in _folder().glob("*.geojson"))


def dataset_path(name: str) -> Path:
    """Path of a shipped dataset, e.g. ``dataset_path("us5")``."""
    path = _folder() / f"{name}.geojson"
    if not path.exists():
        raise FileNotFoundError(
            f"no dataset named {name!r}; shipped datasets: {', '.join(list_datasets())}")
    return path
