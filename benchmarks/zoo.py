"""Where the benchmarks find Internet Topology Zoo files.

The networks the benchmarks use by default are copied into the
repository (``tests/data/zoo``, with their attribution), so that they run
in a fresh clone; any other Zoo network is read from the whole corpus,
``$NETPRICE_ZOO`` or ``../shared/data/topology-zoo`` beside the
repository.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPO_ZOO = ROOT / "tests" / "data" / "zoo"
CORPUS = Path(os.environ.get("NETPRICE_ZOO", ROOT.parent / "shared" / "data" / "topology-zoo"))


def zoo_file(name, zoo=None) -> Path:
    """The GraphML file of Zoo network ``name``: in ``zoo`` if given, else the repository, else the corpus."""
    places = [Path(zoo)] if zoo else []
    places += [REPO_ZOO, CORPUS]
    for folder in places:
        path = folder / f"{name}.graphml"
        if path.exists():
            return path
    raise FileNotFoundError(
        f"no Topology Zoo file {name}.graphml in {', '.join(map(str, places))}: "
        "point --zoo or $NETPRICE_ZOO to the folder of the Zoo's GraphML files")
